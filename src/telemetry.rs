//! Logging and the metrics recorder. Each request's log lines carry its id through the
//! request's `tracing` span (see `handlers::middleware`).

use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Installs the global subscriber; `RUST_LOG` overrides the default `info` level.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second init (tests start many servers in one process) keeps the first subscriber.
    let _ = match format {
        LogFormat::Pretty => builder.compact().try_init(),
        // Each line carries the fields of the span it was written in (the request's id).
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
}

static PROMETHEUS: std::sync::OnceLock<metrics_exporter_prometheus::PrometheusHandle> =
    std::sync::OnceLock::new();

/// How often the recorder folds the request durations recorded since into its histogram.
const METRICS_UPKEEP: std::time::Duration = std::time::Duration::from_secs(1);

/// The process's Prometheus recorder, installed on first use, with a thread that keeps it.
///
/// The recorder buffers each histogram sample until it is folded into the buckets, which a
/// scrape of `/metrics` or an upkeep does. Without upkeep the buffer grows with every request
/// between scrapes, and for ever if nothing scrapes: 5 s of `/healthz` at 100k requests/s left
/// 9 MiB resident. The upkeep thread bounds it to a second's samples.
pub fn prometheus() -> &'static metrics_exporter_prometheus::PrometheusHandle {
    PROMETHEUS.get_or_init(|| {
        let handle = metrics_exporter_prometheus::PrometheusBuilder::new()
            .set_buckets_for_metric(
                metrics_exporter_prometheus::Matcher::Full("http_request_duration_seconds".into()),
                &[
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                ],
            )
            .expect("bucket list is not empty")
            .install_recorder()
            .expect("no other metrics recorder is installed");
        let kept = handle.clone();
        std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(METRICS_UPKEEP);
                    kept.run_upkeep();
                }
            })
            .expect("the metrics upkeep thread starts");
        handle
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The recorder's histogram buffer is emptied by a thread of its own, not only by scrapes.
    #[test]
    fn the_recorder_has_its_upkeep_thread() {
        prometheus();
        let threads = || -> Vec<String> {
            std::fs::read_dir("/proc/self/task")
                .unwrap()
                .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
                .map(|name| name.trim().to_owned())
                .collect()
        };
        // A new thread names itself once it runs.
        let started = std::time::Instant::now();
        while !threads().iter().any(|t| t == "metrics-upkeep") {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(5),
                "{:?}",
                threads()
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}
