//! The keys of the search index (migration 0019): each record is indexed under its customer
//! and its offering twice, `id * 16` (any state) and `id * 16 + state` (its state, 1–10), so
//! that the caller's reach and the states he asks for are one lookup of the index
//! (`store::visibility::push_visible_for_search`).

use crate::domain::state::State;

/// What an id is multiplied by in a key; a state (1–10, the column's CHECK) fills the low
/// bits. Must be the `16` of migration 0019's index expressions.
pub const STRIDE: i64 = 16;

/// The index's expression for the keys of the record `alias` by `column` (`customer_id` or
/// `offering_id`), word for word as migration 0019 wrote it: PostgreSQL uses the index only
/// for the same expression.
pub fn keys_of(alias: &str, column: &str) -> String {
    format!("ARRAY[{alias}.{column} * {STRIDE}, {alias}.{column} * {STRIDE} + {alias}.state]")
}

/// The keys of `ids` (customers or offerings) in any of `states`, or in any state when
/// `states` is empty: what `ARRAY[<id> * 16, <id> * 16 + state] &&` is tested against.
/// At most `ids.len() × 10` keys, whatever the filter repeats.
pub fn search_keys(ids: &[i64], states: &[State]) -> Vec<i64> {
    let mut offsets: Vec<i64> = states.iter().map(|s| i64::from(s.db())).collect();
    offsets.sort_unstable();
    offsets.dedup();
    if offsets.is_empty() {
        offsets.push(0);
    }
    ids.iter().flat_map(|id| offsets.iter().map(move |offset| id * STRIDE + offset)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_states_an_id_is_one_key_for_all_its_records() {
        assert_eq!(search_keys(&[1, 7], &[]), [16, 112]);
    }

    #[test]
    fn with_states_an_id_is_one_key_per_distinct_state() {
        let states = [State::Ok, State::Requested, State::Ok, State::ErrorDeleting];
        assert_eq!(search_keys(&[1, 7], &states), [17, 21, 26, 113, 117, 122]);
    }

    #[test]
    fn the_expression_is_the_index_s() {
        assert_eq!(keys_of("ou", "customer_id"), "ARRAY[ou.customer_id * 16, ou.customer_id * 16 + ou.state]");
    }

    #[test]
    fn no_id_no_key() {
        assert!(search_keys(&[], &[State::Ok]).is_empty());
    }
}
