//! The engine: the event queue ordered by (instant, class, sequence), one outbound call's journey
//! (fault plan → transport → retry policy), the two transports, and the JSON Lines trace.

pub mod calls;
pub mod queue;
pub mod trace;
pub mod transport;
