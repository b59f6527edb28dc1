//! A record's profile: the strings it shares with many others at once, its
//! sender, tag set, SMTP response's group and recipient's domain, held
//! once for all of them.
//!
//! A domain's mail comes from few senders, with few tag sets, gets few
//! kinds of answer and goes mostly to a few dozen mail providers, so
//! there are far fewer of these combinations than records (a few hundred
//! to a few thousand for 500,000 records from either benchmark server),
//! and a record keeps one id for the four: 12 bytes less each. Should
//! every record have a combination of its own (a hostile stream), each
//! costs its slot and its place in the table beyond the ids it replaced,
//! about 28 bytes.

use foldhash::fast::FixedState;
use hashbrown::HashMap;

use super::interner::StrId;
use crate::model::log::store_ready::{NO_STRING, ReadyRecord};

pub(super) type ProfileId = u32;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) struct Profile {
    pub(super) sender: StrId,
    pub(super) tags: StrId,
    /// `StrId::MAX` for none.
    pub(super) smtp_group: StrId,
    /// The recipient's domain, lowercased; `StrId::MAX` for none.
    pub(super) recipient_domain: StrId,
}

impl Profile {
    /// The strings it names, each of which it holds a reference to.
    pub(super) fn strings(self) -> impl Iterator<Item = StrId> {
        [
            self.sender,
            self.tags,
            self.smtp_group,
            self.recipient_domain,
        ]
        .into_iter()
        .filter(|&id| id != StrId::MAX)
    }
}

/// Profiles by id, freed when the last record naming one is evicted; freed
/// ids are reused.
#[derive(Debug, Default)]
pub(super) struct Profiles {
    slots: Vec<Slot>,
    ids: HashMap<Profile, ProfileId, FixedState>,
    free: Vec<ProfileId>,
}

#[derive(Clone, Copy, Debug)]
struct Slot {
    profile: Profile,
    refs: u32,
}

impl Profiles {
    #[inline]
    pub(super) fn get(&self, id: ProfileId) -> Profile {
        self.slots[id as usize].profile
    }

    /// The id of `profile`, with `refs` more references to it, and whether
    /// it is new.
    pub(super) fn add(&mut self, profile: Profile, refs: u32) -> (ProfileId, bool) {
        if let Some(&id) = self.ids.get(&profile) {
            self.slots[id as usize].refs += refs;
            return (id, false);
        }
        let slot = Slot { profile, refs };
        let id = match self.free.pop() {
            Some(id) => {
                self.slots[id as usize] = slot;
                id
            }
            None => {
                self.slots.push(slot);
                (self.slots.len() - 1) as ProfileId
            }
        };
        self.ids.insert(profile, id);
        (id, true)
    }

    /// One reference fewer to `id`; the profile when that was its last.
    pub(super) fn release(&mut self, id: ProfileId) -> Option<Profile> {
        let slot = &mut self.slots[id as usize];
        slot.refs -= 1;
        if slot.refs > 0 {
            return None;
        }
        let profile = slot.profile;
        self.ids.remove(&profile);
        self.free.push(id);
        Some(profile)
    }

    pub(super) fn live(&self) -> usize {
        self.ids.len()
    }

    pub(super) fn heap_bytes(&self) -> usize {
        self.slots.capacity() * size_of::<Slot>()
            + self.ids.allocation_size()
            + self.free.capacity() * size_of::<ProfileId>()
    }
}

/// A batch's distinct profiles, as its own string indexes, and which of
/// them each record has: the store finds each in its table once per batch,
/// not once per record.
#[derive(Debug, Default)]
pub(super) struct BatchProfiles {
    /// Sender, tag set, SMTP group and recipient domain ([`NO_STRING`] for
    /// none), as indexes into the batch's strings.
    pub(super) distinct: Vec<[u32; 4]>,
    /// How many of the batch's records have each.
    pub(super) uses: Vec<u32>,
    /// Each record's, as an index into `distinct`.
    pub(super) of_record: Vec<u32>,
}

impl BatchProfiles {
    pub(super) fn of(records: &[ReadyRecord]) -> BatchProfiles {
        let mut found: HashMap<[u32; 4], u32, FixedState> = HashMap::default();
        let mut batch = BatchProfiles {
            of_record: Vec::with_capacity(records.len()),
            ..BatchProfiles::default()
        };
        for record in records {
            let key = [
                record.sender,
                record.tags,
                record.smtp_group,
                record.recipient_domain,
            ];
            let index = *found.entry(key).or_insert_with(|| {
                batch.distinct.push(key);
                batch.uses.push(0);
                (batch.distinct.len() - 1) as u32
            });
            batch.uses[index as usize] += 1;
            batch.of_record.push(index);
        }
        batch
    }

    /// The batch's string indexes its profiles name, once per profile.
    pub(super) fn strings(&self) -> impl Iterator<Item = u32> + '_ {
        self.distinct
            .iter()
            .flatten()
            .copied()
            .filter(|&i| i != NO_STRING)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(sender: StrId, tags: StrId, smtp_group: StrId) -> Profile {
        Profile {
            sender,
            tags,
            smtp_group,
            recipient_domain: StrId::MAX,
        }
    }

    #[test]
    fn a_profile_is_held_once_and_freed_with_its_last_reference() {
        let mut profiles = Profiles::default();
        let a = profile(1, 2, StrId::MAX);
        let (id, fresh) = profiles.add(a, 2);
        assert!(fresh);
        assert_eq!(profiles.add(a, 1), (id, false));
        assert_eq!(profiles.get(id), a);
        let b = profile(1, 2, 3);
        let (other, fresh) = profiles.add(b, 1);
        assert!(fresh && other != id, "the group tells them apart");
        assert_eq!(profiles.live(), 2);
        assert_eq!(profiles.release(id), None);
        assert_eq!(profiles.release(id), None);
        assert_eq!(profiles.release(id), Some(a));
        assert_eq!(profiles.live(), 1);
        // Its id goes to the next new profile; the old one is new again.
        let (reused, fresh) = profiles.add(profile(9, 9, 9), 1);
        assert!(fresh);
        assert_eq!(reused, id);
        assert!(profiles.add(a, 1).1, "freed, it is new again");
        assert_eq!(a.strings().collect::<Vec<_>>(), [1, 2]);
        assert_eq!(b.strings().collect::<Vec<_>>(), [1, 2, 3]);
    }

    /// Records that share a sender, tag set and SMTP group share a
    /// profile; its strings go when the last record naming it is evicted,
    /// and a freed id, given to another profile, names that one.
    #[test]
    fn records_share_profiles_and_eviction_frees_them_with_their_strings() {
        use super::super::LogStore;
        use super::super::tests::record;
        use crate::model::{LogBatch, LogEventType::Delivered};

        let mut store = LogStore::new(4);
        let with_smtp = |i, sender: &str, smtp: Option<&str>| {
            let mut r = record(i, Some(Delivered), sender, "subject", &["news"]);
            r.smtp_response = smtp.map(str::to_string);
            r
        };
        store.append(LogBatch::from(vec![
            with_smtp(0, "a@x.io", Some("250 2.0.0 OK [1]")),
            with_smtp(1, "a@x.io", None),
            with_smtp(2, "a@x.io", Some("250 2.0.0 OK [2]")),
            with_smtp(3, "b@x.io", Some("250 2.0.0 OK [3]")),
        ]));
        assert_eq!(store.distinct_profiles(), 3, "a with a group, a without, b");
        let before = store.distinct_strings();
        // Three records from c evict a's three: a's profiles and its
        // sender go; b's stays.
        store.append(LogBatch::from(
            (4..7)
                .map(|i| with_smtp(i, "c@x.io", None))
                .collect::<Vec<_>>(),
        ));
        assert_eq!(store.distinct_profiles(), 2, "b's and c's");
        assert_eq!(store.distinct_strings(), before, "a went, c came");
        let senders: Vec<String> = (3..7)
            .filter_map(|seq| store.view(seq).map(|v| v.sender.to_string()))
            .collect();
        assert_eq!(senders, ["b@x.io", "c@x.io", "c@x.io", "c@x.io"]);
        let b = store.full_record(3).unwrap_or_default();
        assert_eq!(b.tags, ["news"]);
        assert_eq!(b.smtp_response.as_deref(), Some("250 2.0.0 OK [3]"));
        store.append(LogBatch::from(
            (7..11)
                .map(|i| with_smtp(i, "d@x.io", None))
                .collect::<Vec<_>>(),
        ));
        assert_eq!(store.distinct_profiles(), 1);
        assert_eq!(
            store.view(10).map(|v| v.sender.to_string()).as_deref(),
            Some("d@x.io")
        );
    }
}
