//! `baseline deploy` (under way): the stack's events during one operation and the root
//! cause of a failure ([`events`], pure), followed live ([`follow`]).

pub mod events;
pub mod follow;
