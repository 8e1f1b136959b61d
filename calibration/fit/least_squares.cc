#include "calibration/fit/least_squares.h"

#include <boost/math/distributions/students_t.hpp>
#include <cassert>
#include <cmath>

namespace stormsim::calibration {

double student_t_quantile(double p, int dof) {
  assert(dof > 0);
  const boost::math::students_t dist(static_cast<double>(dof));
  return boost::math::quantile(dist, p);
}

double LinearFit::half_width(int i, double confidence) const {
  if (dof <= 0)
    return 0;
  return student_t_quantile(0.5 + confidence / 2, dof) * standard_error[i];
}

LinearFit weighted_least_squares(const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                                 const Eigen::VectorXd& weights) {
  assert(x.rows() == y.size() && y.size() == weights.size() && x.rows() >= x.cols());
  const Eigen::VectorXd sqrt_w = weights.cwiseSqrt();
  const Eigen::MatrixXd xw = sqrt_w.asDiagonal() * x;
  const Eigen::VectorXd yw = sqrt_w.cwiseProduct(y);
  // Columns scaled to unit norm, so the rank decision is about shape, not units.
  Eigen::VectorXd scale = xw.colwise().norm().transpose();
  for (Eigen::Index j = 0; j < scale.size(); ++j) {
    if (scale[j] == 0)
      scale[j] = 1;
  }
  const Eigen::MatrixXd xs = xw * scale.cwiseInverse().asDiagonal();
  const Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(xs);
  LinearFit f;
  f.beta = qr.solve(yw).cwiseQuotient(scale);
  f.residuals = y - x * f.beta;
  f.rss = (sqrt_w.cwiseProduct(f.residuals)).squaredNorm();
  f.dof = static_cast<int>(x.rows() - x.cols());
  const Eigen::MatrixXd xtwx = xw.transpose() * xw;
  const Eigen::MatrixXd inverse = xtwx.ldlt().solve(Eigen::MatrixXd::Identity(x.cols(), x.cols()));
  const double s2 = f.dof > 0 ? f.rss / f.dof : 0.0;
  f.covariance = s2 * inverse;
  f.standard_error = f.covariance.diagonal().cwiseMax(0.0).cwiseSqrt();
  return f;
}

LinearFit fit_line_relative(const std::vector<double>& x, const std::vector<double>& y) {
  assert(x.size() == y.size() && x.size() >= 2);
  const auto n = static_cast<Eigen::Index>(x.size());
  Eigen::MatrixXd a(n, 2);
  Eigen::VectorXd b(n), w(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    a(i, 0) = 1;
    a(i, 1) = x[static_cast<std::size_t>(i)];
    b[i] = y[static_cast<std::size_t>(i)];
    w[i] = 1.0 / (b[i] * b[i]);
  }
  return weighted_least_squares(a, b, w);
}

}  // namespace stormsim::calibration
