//! The sandbox from the outside: the hostile test component
//! (`tests/guests/hostile`, built by `just build`) driven through
//! [`ChannelComponent::on_http_request`] with arbitrary webhook requests.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use proptest::prelude::*;
use switchboard_runtime::{
    CallLimits, ChannelComponent, MAX_EXTERNAL_ID_BYTES, Runtime, RuntimeConfig, WebhookRequest,
};
use switchboard_types::{FetchError, IncomingResponse, OutgoingRequest};

const SECRET: &str = "runtime-test-secret-4e1a";

/// An instance with settings and one secret, no network and empty state.
struct Services {
    settings: BTreeMap<String, String>,
}

#[async_trait::async_trait]
impl switchboard_runtime::InstanceServices for Services {
    fn instance(&self) -> &str {
        "hostile"
    }

    fn setting(&self, name: &str) -> Option<String> {
        self.settings.get(name).cloned()
    }

    async fn fetch(&self, _request: OutgoingRequest) -> Result<IncomingResponse, FetchError> {
        Err(FetchError::Denied("no network in these tests".to_owned()))
    }

    async fn state_get(&self, _key: &str) -> Result<Option<Vec<u8>>, String> {
        Ok(None)
    }

    async fn state_set(&self, _key: &str, _value: Vec<u8>) -> Result<(), String> {
        Ok(())
    }

    async fn state_delete(&self, _key: &str) -> Result<(), String> {
        Ok(())
    }

    fn redact(&self, text: &str) -> String {
        text.replace(SECRET, "[redacted]")
    }
}

fn services(mode: &str) -> Arc<Services> {
    Arc::new(Services {
        settings: BTreeMap::from([("mode".to_owned(), mode.to_owned())]),
    })
}

/// The hostile component, compiled once for the whole test binary.
fn hostile() -> &'static ChannelComponent {
    static COMPONENT: OnceLock<ChannelComponent> = OnceLock::new();
    COMPONENT.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../target/wasm32-wasip2/release/switchboard_guest_hostile.wasm");
        assert!(
            path.is_file(),
            "{} is missing: run `just build` (or `just test`, which builds first)",
            path.display()
        );
        let runtime = Runtime::new(RuntimeConfig {
            max_concurrent_calls: 4,
            ..RuntimeConfig::default()
        })
        .expect("runtime");
        runtime
            .load_file("hostile", &path, None)
            .expect("the hostile component loads")
    })
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime")
    })
    .block_on(future)
}

/// Header values as the daemon hands them over: whatever bytes a client sent,
/// decoded lossily (invalid UTF-8 becomes U+FFFD).
fn header_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,40}",
        proptest::collection::vec(any::<u8>(), 0..40)
            .prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned()),
    ]
}

fn request() -> impl Strategy<Value = WebhookRequest> {
    (
        prop_oneof![
            Just("POST".to_owned()),
            Just("GET".to_owned()),
            "[A-Z]{1,10}",
            ".{0,12}"
        ],
        prop_oneof![
            Just(String::new()),
            "(/[a-z0-9%._~-]{0,12}){1,4}",
            ".{0,30}"
        ],
        prop_oneof![Just(String::new()), "[a-z0-9=&%.+-]{0,60}", ".{0,60}"],
        proptest::collection::vec(("[a-z0-9-]{1,20}|.{0,10}", header_value()), 0..12),
        prop_oneof![
            4 => proptest::collection::vec(any::<u8>(), 0..2048),
            1 => "[ a-z0-9.-]{0,700}".prop_map(String::into_bytes),
            1 => proptest::collection::vec(any::<u8>(), 0..(64 << 10)),
        ],
    )
        .prop_map(|(method, path, query, headers, body)| WebhookRequest {
            method,
            path,
            query,
            headers,
            body: body.into(),
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever a caller sends, the host does not panic, and the well-behaved
    /// guest gets the body intact: its trimmed text becomes the external id when
    /// that is a valid one, otherwise the guest's emit is refused and it says so.
    #[test]
    fn any_request_reaches_the_guest_intact(request in request()) {
        let body_text = String::from_utf8_lossy(&request.body).into_owned();
        let id = body_text.trim().to_owned();
        let result = block_on(hostile().on_http_request(
            services("well-behaved"),
            &CallLimits::default(),
            &request,
        ));
        let handled = match result {
            Ok(handled) => handled,
            Err(error) => {
                return Err(TestCaseError::fail(format!("a trivial call failed: {error}")));
            }
        };
        if !id.is_empty() && id.len() <= MAX_EXTERNAL_ID_BYTES {
            prop_assert_eq!(handled.response.status, 200);
            prop_assert_eq!(&handled.response.body[..], b"stored");
            prop_assert_eq!(handled.messages.len(), 1);
            prop_assert_eq!(&handled.messages[0].external_id, &id);
            prop_assert_eq!(handled.messages[0].text.as_deref(), Some(body_text.as_str()));
        } else {
            prop_assert_eq!(handled.response.status, 400, "emit must refuse {:?}", id);
            prop_assert!(handled.messages.is_empty());
        }
    }
}
