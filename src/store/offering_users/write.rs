//! Writing offering users: create, update, delete and the state transitions.
