use serde_json::json;

use super::*;

fn read_json(value: &Value) -> Result<Update, ParseError> {
    read_update(value.to_string().as_bytes())
}

#[test]
fn each_update_type_is_told_apart() {
    let message = json!({"message_id": 1, "date": 1, "chat": {"id": 5}, "text": "x"});
    for (key, expected_type, expected_edit) in [
        ("message", "message", false),
        ("edited_message", "edited_message", true),
        ("channel_post", "channel_post", false),
        ("edited_channel_post", "edited_channel_post", true),
    ] {
        let update = read_json(&json!({"update_id": 7, key: message})).expect("update");
        assert_eq!(update.update_id, Some(7));
        match update.event {
            Event::Message {
                update_type,
                is_edit,
                ..
            } => {
                assert_eq!(update_type, expected_type);
                assert_eq!(is_edit, expected_edit);
            }
            other => panic!("{key}: {other:?}"),
        }
    }
    let reaction = json!({"update_id": 8, "message_reaction": {
        "chat": {"id": -1}, "message_id": 2, "date": 3, "old_reaction": [], "new_reaction": []}});
    assert!(matches!(
        read_json(&reaction).expect("update").event,
        Event::Reaction(_)
    ));
    let counts = json!({"update_id": 9, "message_reaction_count": {"chat": {"id": -1}}});
    assert!(matches!(
        read_json(&counts).expect("update").event,
        Event::ReactionCount
    ));
    let tap =
        json!({"update_id": 10, "callback_query": {"id": "q", "from": {"id": 1}, "data": "x"}});
    assert!(matches!(
        read_json(&tap).expect("update").event,
        Event::Callback(_)
    ));
}

#[test]
fn other_update_types_are_named() {
    for (update, name) in [
        (
            json!({"update_id": 2, "my_chat_member": {"chat": {"id": 1}}}),
            "my_chat_member",
        ),
        (json!({"update_id": 3}), "none"),
        (
            json!({"update_id": 4, "message": null, "poll": {"id": "p"}}),
            "poll",
        ),
    ] {
        match read_json(&update).expect("update").event {
            Event::Other(found) => assert_eq!(found, name),
            other => panic!("{update}: {other:?}"),
        }
    }
}

#[test]
fn non_json_is_a_malformed_request() {
    for body in [&b"not json"[..], b"", b"{\"update_id\": 1,"] {
        assert!(
            matches!(read_update(body), Err(ParseError::NotJson(_))),
            "{body:?}"
        );
    }
}

#[test]
fn json_that_is_not_an_update_is_told_apart() {
    for body in [json!([1, 2]), json!("text"), json!({"update_id": "one"})] {
        let result = read_json(&body);
        assert!(matches!(result, Err(ParseError::NotAnUpdate(_))), "{body}");
    }
}

#[test]
fn an_unreadable_message_reaction_or_tap_names_its_update_type() {
    for (body, expected) in [
        (
            json!({"update_id": 1, "message": {"message_id": 1, "date": 1}}),
            "message",
        ),
        (
            json!({"update_id": 1, "edited_message": {"message_id": "one", "chat": {"id": 1}}}),
            "edited_message",
        ),
        (
            json!({"update_id": 1, "message_reaction": {"message_id": 2}}),
            "message_reaction",
        ),
        (
            json!({"update_id": 1, "callback_query": {"id": "q", "data": "x"}}),
            "callback_query",
        ),
    ] {
        match read_json(&body) {
            Err(ParseError::Unreadable { update_type, .. }) => {
                assert_eq!(update_type, expected, "{body}");
            }
            other => panic!("{body}: {other:?}"),
        }
    }
}

#[test]
fn every_mapped_type_is_read_and_no_other_is() {
    // An empty object is no readable message, reaction or tap: a type the parser
    // knows says so, one it does not know reads as `Other`.
    for &update_type in MAPPED_TYPES {
        match read_json(&json!({"update_id": 1, update_type: {}})) {
            Err(ParseError::Unreadable {
                update_type: read, ..
            }) => assert_eq!(read, update_type),
            other => panic!("{update_type}: {other:?}"),
        }
    }
    let known: Vec<&str> = MESSAGE_TYPES.iter().map(|&(name, _)| name).collect();
    assert!(known.iter().all(|name| MAPPED_TYPES.contains(name)));
    assert!(!MAPPED_TYPES.contains(&"message_reaction_count"));
}
