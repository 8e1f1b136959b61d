// The statistics module in one include: counters, time-weighted signals,
// histograms and time series, all in stormsim::sim::stats.
#pragma once

#include "sim/stats/counter.h"
#include "sim/stats/exact_histogram.h"
#include "sim/stats/hdr_histogram.h"
#include "sim/stats/percentile.h"
#include "sim/stats/time_series.h"
#include "sim/stats/time_weighted.h"
