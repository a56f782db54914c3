//! Drives a prepared daemon without sockets or background tasks, for the daemon's own
//! tests: deliveries go through the real pipeline (verification, guest, store) and
//! each queue runs one round at a time, with whatever clock the test injected.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use switchboard_store::Store;

use crate::clock::Clock;
use crate::config::DaemonConfig;
use crate::daemon::{Daemon, Engines};
use crate::ingress::request::webhook_request;
use crate::ingress::response::Rejection;
use crate::loader::ChannelLoader;
use crate::metrics::Scraped;
use crate::pipeline::{self, Delivery};
use crate::shared::Shared;

/// One of the daemon's queues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueName {
    Hooks,
    Turns,
    Replies,
}

/// A daemon whose work is driven by the test.
pub struct Harness {
    shared: Arc<Shared>,
    engines: Engines,
}

impl std::fmt::Debug for Harness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Harness").finish_non_exhaustive()
    }
}

/// What the pipeline answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    /// The rejection's reason word (`bad_signature`, `overloaded`, ...), if rejected.
    pub rejected: Option<&'static str>,
    pub body: Vec<u8>,
}

impl Harness {
    /// Prepares the daemon as `serve` would, without listening or starting queues.
    pub fn new(
        config: DaemonConfig,
        loader: Arc<dyn ChannelLoader>,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Harness> {
        let daemon = Daemon::prepare_with(config, loader, clock)?;
        Ok(Harness {
            shared: daemon.shared(),
            engines: daemon.engines,
        })
    }

    /// Sends a request for `instance` through the pipeline, as the ingress would after
    /// routing and reading the body.
    pub async fn request(
        &self,
        method: Method,
        instance: &str,
        query: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Answer {
        let Some(target) = self.shared.instance(instance) else {
            panic!("no instance {instance} is configured");
        };
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).expect("header name"),
                HeaderValue::from_str(value).expect("header value"),
            );
        }
        let checked = pipeline::check_before_body(&self.shared, &target, &method, query, &map);
        let request = webhook_request(&method, "", query, &map, Bytes::copy_from_slice(body));
        let delivery = Delivery {
            headers: map,
            request,
        };
        let handled = match checked {
            Ok(()) => pipeline::handle(&self.shared, &target, delivery).await,
            Err(error) => Err(error),
        };
        match handled {
            Ok(response) => Answer {
                status: response.status,
                rejected: None,
                body: response.body,
            },
            Err(error) => {
                let rejection = Rejection::Pipeline {
                    instance: instance.to_owned(),
                    error,
                };
                Answer {
                    status: rejection.status().as_u16(),
                    rejected: Some(rejection.reason()),
                    body: Vec::new(),
                }
            }
        }
    }

    /// A signed-or-not POST; see [`Harness::request`].
    pub async fn post(&self, instance: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
        self.request(Method::POST, instance, "", headers, body)
            .await
    }

    /// Runs one round of `queue`: takes what was handed over, polls the store once at
    /// the clock's time, and runs everything runnable. Returns the items finished.
    pub async fn run_round(&mut self, queue: QueueName) -> usize {
        match queue {
            QueueName::Hooks => self.engines.hooks.round().await,
            QueueName::Turns => self.engines.turns.round().await,
            QueueName::Replies => self.engines.replies.round().await,
        }
    }

    /// Runs rounds of every queue, in pipeline order, until a pass finishes nothing
    /// (at most `passes`); returns the items finished.
    pub async fn settle(&mut self, passes: usize) -> usize {
        let mut total = 0;
        for _ in 0..passes {
            let mut finished = 0;
            for queue in [QueueName::Hooks, QueueName::Turns, QueueName::Replies] {
                finished += self.run_round(queue).await;
            }
            if finished == 0 {
                break;
            }
            total += finished;
        }
        total
    }

    /// One poll of a polling instance, as its loop runs it: `stored`, `empty`,
    /// `retry`, `retry-after` (the platform asked for a delay) or `needs-operator`.
    pub async fn poll_once(&self, instance: &str) -> &'static str {
        let Some(target) = self.shared.instance(instance) else {
            panic!("no instance {instance} is configured");
        };
        crate::workers::poll::poll_once(&self.shared, &target)
            .await
            .label()
    }

    /// The daemon's store.
    pub fn store(&self) -> &Store {
        &self.shared.store
    }

    /// The metrics as `/metrics` renders their counters (without the values read
    /// from the store and the runtime at scrape time).
    pub fn metrics(&self) -> String {
        self.shared.metrics.render(&Scraped::default())
    }
}
