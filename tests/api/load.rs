//! The short load run (`cyberdrill-loadgen` as a library call): a few hundred live
//! sockets, a burst of ad-hoc injects; nothing may be lost, duplicated, reordered or
//! resynced. No timing assertions (`BENCHMARKS.md` has the figures).

use std::time::Duration;

use cyberdrill::domain::Role;
use cyberdrill::loadgen::{self, Options};

use crate::helpers::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hundred_sockets_get_every_inject_once_and_in_order() {
    let app = TestApp::spawn_with(|c| c.live_max_sockets_per_user = 1000).await;
    let org = app.org("bo-tai", None).await;
    let controller = app.user("dieu-phoi", Role::Controller, org).await;
    let mut opts = Options::new(app.base.clone());
    opts.token = Some(controller.token.clone());
    opts.connections = 300;
    opts.injects = 20;
    opts.rate = 20.0;
    opts.connect_concurrency = 50;
    opts.drain = Duration::from_secs(10);
    let report = tokio::time::timeout(Duration::from_secs(60), loadgen::run(opts))
        .await
        .expect("the load run finishes")
        .expect("the load run works");
    assert_eq!(report.connected, 300, "{report:#?}");
    assert_eq!(report.deliveries, 300 * 20, "{report:#?}");
    assert_eq!(report.lost, 0, "{report:#?}");
    assert_eq!(report.duplicated, 0, "{report:#?}");
    assert_eq!(report.reordered, 0, "{report:#?}");
    assert_eq!(report.resyncs, 0, "{report:#?}");
    assert!(report.is_clean(), "{report:#?}");
    assert_eq!(report.fanout.count, 20, "{report:#?}");
}
