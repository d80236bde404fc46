//! Target `scenario_loading`: any text through the scenario loader ([`Scenario::parse`]: the
//! JSON reader with unknown fields refused, then the validation the builder shares).
//!
//! Checked: nothing panics; text that is not a valid scenario gets [`SimError::Scenario`]
//! naming the file given and a field path (or `-`, or serde's line and column for text that is
//! not JSON of the right shape) and a message; a scenario that loads writes back to JSON that
//! loads again to the same value (nothing the loader accepts is lost or changed by the format).
//! The seeds are the suite's own scenario files.

use sim::{Scenario, SimError};

/// The name the fuzz input is loaded under (errors must name it).
const NAME: &str = "fuzz-input.json";

/// Runs one input; panics on a broken property.
pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Scenario::parse(NAME, text) {
        Ok(scenario) => {
            let written = serde_json::to_string(&scenario).expect("a loaded scenario serializes");
            match Scenario::parse(NAME, &written) {
                Ok(again) => assert_eq!(again, scenario, "a scenario changed by writing it back"),
                Err(error) => {
                    panic!("a loaded scenario, written back, no longer loads: {error}\n{written}")
                }
            }
        }
        Err(SimError::Scenario {
            path,
            field,
            message,
        }) => {
            assert_eq!(path, NAME, "the error names another file");
            assert!(!field.is_empty(), "the error names no field: {message}");
            assert!(!message.is_empty(), "the error at {field} says nothing");
        }
        Err(other) => panic!("loading text gave an error that is not a scenario error: {other}"),
    }
}
