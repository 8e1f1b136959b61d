// Weighted linear least squares with standard errors, on Eigen.
#pragma once

#include <Eigen/Dense>
#include <vector>

namespace stormsim::calibration {

// The solution of min sum_i w_i (y_i - X_i beta)^2 and what the residuals
// say about its uncertainty.
struct LinearFit {
  Eigen::VectorXd beta;
  // Standard errors of beta: sqrt of the diagonal of s^2 (X' W X)^-1, s^2 the
  // weighted residual variance rss / dof. Zero where dof is 0 (as many
  // points as parameters: the fit is exact and its error unknown).
  Eigen::VectorXd standard_error;
  Eigen::MatrixXd covariance;
  Eigen::VectorXd residuals;  // y - X beta, unweighted
  double rss = 0;             // weighted
  int dof = 0;                // points - parameters

  // The half-width of a two-sided confidence interval for beta[i] at
  // `confidence` (0.95: 95%), from Student's t with dof degrees of freedom.
  double half_width(int i, double confidence) const;
};

// Solves with column-pivoted QR, which stays accurate when the columns
// differ by orders of magnitude (seconds against bytes). Requires rows >=
// columns and positive weights.
LinearFit weighted_least_squares(const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                                 const Eigen::VectorXd& weights);

// Student's t quantile: P(T <= t) = p with `dof` degrees of freedom.
double student_t_quantile(double p, int dof);

// Least squares of a straight line y = c0 + c1 x, weighted so that the
// residuals are relative (weights 1 / y^2): latencies from 30 us to 5 ms
// count alike.
LinearFit fit_line_relative(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace stormsim::calibration
