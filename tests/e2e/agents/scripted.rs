//! A local HTTP server whose answers are computed per request and can be held back:
//! an agent endpoint that answers each turn differently, or a platform API that
//! takes its time. A thin shape over the shared test server.

use switchboard_testkit::{Answer, MockServer};

use crate::mock::Recorded;

/// The running server.
#[derive(Clone)]
pub(crate) struct ScriptedServer {
    pub(crate) origin: String,
    server: MockServer,
}

impl ScriptedServer {
    /// Starts answering on a fresh loopback port; `answer` gets each request and its
    /// number (0-based, in arrival order) and returns the status and JSON body.
    pub(crate) async fn start(
        answer: impl Fn(&Recorded, usize) -> (u16, String) + Send + Sync + 'static,
    ) -> ScriptedServer {
        let server = MockServer::start(move |request, n| {
            let (status, body) = answer(request, n);
            Answer::status(status, &body)
        })
        .await;
        ScriptedServer {
            origin: server.origin.clone(),
            server,
        }
    }

    /// From now on, requests are recorded at once but answered only after
    /// [`ScriptedServer::release`].
    pub(crate) fn hold(&self) {
        self.server.hold();
    }

    /// Answers every held request and stops holding.
    pub(crate) fn release(&self) {
        self.server.release();
    }

    /// Every request so far, answered or not.
    pub(crate) fn requests(&self) -> Vec<Recorded> {
        self.server.requests()
    }

    /// Requests whose path contains `part`.
    pub(crate) fn requests_to(&self, part: &str) -> Vec<Recorded> {
        self.server.requests_to(part)
    }
}
