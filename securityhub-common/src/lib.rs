//! What `Custom::SecurityHubEnable` and `Custom::SecurityHubStandards` share: how Security
//! Hub says an account has no hub and how long a hub enabled moments ago may take to
//! show (`hub`), and the `OnDelete` choice with the ownership record that keeps it
//! (`on_delete`). With the `testing` feature, their unit tests' Security Hub doubles.

#![warn(missing_docs)]

mod hub;
mod on_delete;
#[cfg(feature = "testing")]
pub mod testing;

pub use hub::{is_not_subscribed, HUB_SETTLING};
pub use on_delete::{erase_ownership, plan_delete, read_ownership, OnDelete};
