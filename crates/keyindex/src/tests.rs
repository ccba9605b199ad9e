use super::*;
use proptest::prelude::*;
use std::collections::HashMap as Model;

fn val(i: u64) -> [u8; 8] {
    i.to_le_bytes()
}

#[derive(Clone, Debug)]
enum Op {
    Insert(u8, u64),
    GetOrInsert(u8, u64),
    Get(u8),
    Clear,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (any::<u8>(), any::<u64>()).prop_map(|(k, v)| Op::Insert(k, v)),
        4 => (any::<u8>(), any::<u64>()).prop_map(|(k, v)| Op::GetOrInsert(k, v)),
        4 => any::<u8>().prop_map(Op::Get),
        1 => Just(Op::Clear),
    ]
}

/// Keys from a small set, spread over the whole 128 bits (high and low
/// halves both vary), so repeats, shadowing and merges all happen.
fn key(k: u8) -> Key {
    (u128::from(k) << 120) | u128::from(k.wrapping_mul(37))
}

proptest! {
    /// Whatever the order of inserts, lookups and clears, and however small
    /// the memory part, the index answers as a hash map does.
    #[test]
    fn answers_as_a_hash_map_does(limit in 1usize..9, ops in prop::collection::vec(op(), 0..400)) {
        let mut index = KeyIndex::<8>::with_limit(None, limit);
        let mut model: Model<Key, [u8; 8]> = Model::new();
        for op in ops {
            match op {
                Op::Insert(k, v) => {
                    if v % 2 == 0 {
                        index.insert(key(k), val(v)).unwrap();
                        model.insert(key(k), val(v));
                    } else {
                        let old = index.replace(key(k), val(v)).unwrap();
                        prop_assert_eq!(old, model.insert(key(k), val(v)));
                    }
                }
                Op::GetOrInsert(k, v) => {
                    let got = index.get_or_insert(key(k), val(v)).unwrap();
                    let want = model.get(&key(k)).copied();
                    if want.is_none() {
                        model.insert(key(k), val(v));
                    }
                    prop_assert_eq!(got, want);
                }
                Op::Get(k) => prop_assert_eq!(index.get(key(k)).unwrap(), model.get(&key(k)).copied()),
                Op::Clear => {
                    index.clear();
                    model.clear();
                }
            }
            prop_assert_eq!(index.is_empty(), model.is_empty() && index.runs() == 0);
        }
        for k in 0..=255u8 {
            prop_assert_eq!(index.get(key(k)).unwrap(), model.get(&key(k)).copied());
        }
    }
}

#[test]
fn a_hundred_thousand_keys_in_a_small_memory_part_are_all_found() {
    let dir = tempfile::tempdir().unwrap();
    let mut index = KeyIndex::<16>::with_limit(Some(dir.path()), 1000);
    let k = |i: u64| u128::from(mix(i)) << 64 | u128::from(mix(!i));
    for i in 0..100_000u64 {
        let mut v = [0u8; 16];
        v[..8].copy_from_slice(&i.to_le_bytes());
        assert_eq!(index.get_or_insert(k(i), v).unwrap(), None);
    }
    // 100 spills merge down to one run per set bit of 100.
    assert_eq!(index.runs(), 100u32.count_ones() as usize);
    for i in 0..100_000u64 {
        let v = index.get(k(i)).unwrap().expect("every key is found");
        assert_eq!(&v[..8], &i.to_le_bytes());
    }
    let mut absent_found = 0;
    for i in 100_000..200_000u64 {
        if index.get(k(i)).unwrap().is_some() {
            absent_found += 1;
        }
    }
    assert_eq!(absent_found, 0);
    // The runs are files without a name: nothing is left in the folder.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn the_bloom_filter_turns_away_most_absent_keys() {
    let mut bloom = Bloom::new(10_000);
    for i in 0..10_000u128 {
        bloom.add(i);
    }
    assert!((0..10_000u128).all(|i| bloom.may_hold(i)));
    let false_hits = (10_000..110_000u128).filter(|&i| bloom.may_hold(i)).count();
    // About 1% by design; 3% would mean the filter is broken or too small.
    assert!(false_hits < 3_000, "{false_hits} false hits in 100000");
}

#[test]
fn a_newer_value_shadows_an_older_one_in_a_run() {
    let mut index = KeyIndex::<8>::with_limit(None, 2);
    index.insert(1, val(1)).unwrap();
    index.insert(2, val(2)).unwrap(); // spilled: run [1, 2]
    index.insert(1, val(10)).unwrap();
    assert_eq!(index.get(1).unwrap(), Some(val(10)));
    index.insert(3, val(3)).unwrap(); // spilled and merged, newer wins
    assert_eq!(index.runs(), 1);
    assert_eq!(index.get(1).unwrap(), Some(val(10)));
    assert_eq!(index.get(2).unwrap(), Some(val(2)));
    assert_eq!(index.get(4).unwrap(), None);
}

#[test]
fn a_folder_that_cannot_hold_files_is_named_in_the_error() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let not_a_dir = file.path().join("sub");
    let mut index = KeyIndex::<8>::with_limit(Some(&not_a_dir), 1);
    let e = index.insert(1, val(1)).unwrap_err();
    assert!(e.to_string().contains("sub"), "{e}");
    // The entry is lost with the failed spill: the index says so from now
    // on instead of answering without it.
    assert!(index.get(1).is_err());
    assert!(index.get_or_insert(2, val(2)).is_err());
}

proptest! {
    /// Appends of any sizes across chunk boundaries read back exactly,
    /// whether they are on disk, in memory or both.
    #[test]
    fn a_scratch_log_reads_back_what_was_appended(
        chunk in 1usize..64,
        parts in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 0..40),
    ) {
        let mut log = ScratchLog::new(chunk);
        let mut all = Vec::new();
        let mut offs = Vec::new();
        for p in &parts {
            offs.push(log.append(p).unwrap());
            all.extend_from_slice(p);
        }
        prop_assert_eq!(log.len(), all.len() as u64);
        for (p, off) in parts.iter().zip(&offs) {
            let mut buf = vec![0; p.len()];
            log.read(*off, &mut buf).unwrap();
            prop_assert_eq!(&buf, p);
        }
        let mut whole = vec![0; all.len()];
        log.read(0, &mut whole).unwrap();
        prop_assert_eq!(&whole, &all);
        prop_assert!(log.read(0, &mut vec![0; all.len() + 1]).is_err());
        if let Some(f) = log.snapshot().unwrap() {
            let mut disk = vec![0; all.len()];
            read_at(&f, &mut disk, 0).unwrap();
            prop_assert_eq!(&disk, &all);
        }
    }
}
