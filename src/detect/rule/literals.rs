//! A search for many literals at once: every occurrence, overlapping.
//!
//! Built for the prefilter's workload: a few hundred bytes of field text
//! per event, thousands of literals, occurrences rare. Each literal of two
//! bytes or more is indexed by its *rarest pair of adjacent bytes* (by a
//! static model of web and audit text: punctuation and digits are rarer
//! than letters, `q` rarer than `e`). The search tests, at each position of
//! the text, one bit of a 64 Ki-bit table (8 KiB, which stays in the L1
//! cache) for the pair there; only on a hit does it compare the literals
//! indexed by that pair, aligned on it. Literals are chosen by their rare
//! pairs, so most positions stop at the table. One-byte literals have a
//! 256-bit table of their own.
//!
//! The text and the literals are ASCII-lowercase (the caller folds both).

use super::plan::Fnv;
use std::collections::HashMap;

/// The literals and how to find them.
#[derive(Debug)]
pub(crate) struct LiteralSearch {
    /// Bit `(a << 8) | b`: some literal is indexed by the pair `a b`.
    pairs: Box<[u64; 1024]>,
    /// Set bits of `pairs` before each word: with a popcount, the rank of
    /// an indexed pair, which numbers its run in `cands` (a rank lookup
    /// stays in 12 KiB where a hash map lookup per hit cost several times
    /// more; hits are frequent enough that this shows in profiles).
    rank: Box<[u32; 1024]>,
    /// Start of each indexed pair's run in `cands`, by rank, plus the end.
    starts: Box<[u32]>,
    /// The literals of every indexed pair (id, offset of the pair in it),
    /// runs in pair order.
    cands: Box<[(u32, u32)]>,
    /// Bit `a`: the one-byte literal `a` exists.
    singles: [u64; 4],
    /// One-byte literal → id.
    single_id: HashMap<u8, u32, Fnv>,
    /// The literals, by id.
    lits: Box<[Box<[u8]>]>,
    /// Test only even positions (no two-byte literal; see the module doc).
    stride2: bool,
}

/// How rare a byte is in access and audit log fields (higher: rarer):
/// digits, `/`, `.` and common letters are everywhere (addresses, dates,
/// paths, user agents); `%`, `:` and `;` are frequent in URLs and agents;
/// rare letters and other punctuation are rare.
fn rarity(b: u8) -> u32 {
    match b.to_ascii_lowercase() {
        b'0'..=b'9' | b'/' | b'.' | b'e' | b'a' | b'o' | b't' | b'i' | b'n' | b's' | b'r' => 1,
        b' ' | b'-' | b'c' | b'l' | b'm' | b'p' | b'h' | b'd' | b'u' => 2,
        b'=' | b'&' | b'?' | b'_' | b':' | b';' | b'%' | b'g' | b'f' | b'b' | b'w' | b'y' => 3,
        b',' | b'(' | b')' | b'v' | b'k' | b'+' => 4,
        b'x' | b'j' | b'q' | b'z' => 5,
        _ => 6,
    }
}

/// Typical field text of access and audit logs: user agents, paths,
/// referrers, commands. Pairs of bytes frequent here make poor index pairs.
const TYPICAL: &str = "\
mozilla/5.0 (windows nt 10.0; win64; x64) applewebkit/537.36 (khtml, like gecko) chrome/120.0.0.0 safari/537.36 \
mozilla/5.0 (macintosh; intel mac os x 10_15_7) applewebkit/605.1.15 (khtml, like gecko) version/17.1 safari/605.1.15 \
mozilla/5.0 (x11; linux x86_64; rv:109.0) gecko/20100101 firefox/119.0 \
mozilla/5.0 (iphone; cpu iphone os 17_1 like mac os x) mobile/15e148 \
mozilla/5.0 (linux; android 13; sm-s908b) chrome/112.0.0.0 mobile safari/537.36 \
mozilla/5.0 (compatible; googlebot/2.1; +http://www.google.com/bot.html) \
mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) \
curl/8.5.0 python-requests/2.31.0 okhttp/4.12.0 go-http-client/1.1 wget/1.21.4 \
/index.html /wp-content/uploads/2019/05/image-1024x768.jpg /images/logo.png /static/js/app.bundle.js \
/css/style.min.css /favicon.ico /robots.txt /sitemap.xml /api/v1/users?id=123&page=2&sort=name \
/blog/2013/09/10/introducing-the-new-feature/ /presentations/logstash-monitorama-2013/images/kibana-search.png \
/search?q=hello+world&lang=en /account/settings/profile /download/file.pdf /feed/atom.xml \
https://www.google.com/search?q=how+to+configure https://example.com/articles/dynamic-dns-with-dhcp/ \
get post put delete head options http/1.1 http/2.0 200 301 302 304 404 500 \
/usr/bin/python3 /bin/bash -c ls -la /etc/hosts /var/log/syslog /home/user/.bashrc \
systemctl restart nginx.service sudo apt-get install update upgrade \
getobject putobject listbuckets describeinstances assumerole consolelogin iam.amazonaws.com \
pods secrets configmaps deployments namespaces kube-system serviceaccounts get list watch create \
192.168.1.10 10.0.0.1 2013-05-17t10:05:03z 17/may/2015:10:05:03 +0000";

/// Frequency of each pair of bytes in [`TYPICAL`].
fn pair_counts() -> Vec<u16> {
    let mut counts = vec![0u16; 1 << 16];
    for w in TYPICAL.as_bytes().windows(2) {
        let p = (usize::from(w[0]) << 8) | usize::from(w[1]);
        counts[p] = counts[p].saturating_add(1);
    }
    counts
}

impl LiteralSearch {
    /// Builds the search; literal `i` is pattern id `i`.
    pub fn new(literals: &[String]) -> Result<LiteralSearch, String> {
        let mut pairs = Box::new([0u64; 1024]);
        let mut by_pair: HashMap<u16, Vec<(u32, u32)>, Fnv> = HashMap::default();
        let mut singles = [0u64; 4];
        let mut single_id = HashMap::default();
        let typical = pair_counts();
        let stride2 = literals.iter().all(|l| l.len() != 2);
        let pair_at = |b: &[u8], k: usize| (u16::from(b[k]) << 8) | u16::from(b[k + 1]);
        let cost = |b: &[u8], k: usize| {
            (
                typical[usize::from(pair_at(b, k))],
                std::cmp::Reverse(rarity(b[k]) + rarity(b[k + 1])),
            )
        };
        for (i, lit) in literals.iter().enumerate() {
            let b = lit.as_bytes();
            let id = u32::try_from(i).map_err(|_| "too many literals".to_owned())?;
            match b.len() {
                0 => return Err("internal: an empty literal".into()),
                1 => {
                    singles[usize::from(b[0] >> 6)] |= 1 << (b[0] & 63);
                    single_id.insert(b[0], id);
                }
                n if stride2 => {
                    // The rarest two adjacent pairs (n ≥ 3 here).
                    let k = (0..n - 2)
                        .min_by_key(|&k| {
                            let (a, b) = (cost(b, k), cost(b, k + 1));
                            (a.0 + b.0, std::cmp::Reverse(a.1.0 + b.1.0), k)
                        })
                        .unwrap_or(0);
                    for k in [k, k + 1] {
                        let p = pair_at(b, k);
                        pairs[usize::from(p) / 64] |= 1 << (p % 64);
                        by_pair.entry(p).or_default().push((id, k as u32));
                    }
                }
                n => {
                    // The rarest pair: least seen in typical text, then
                    // made of the rarest bytes; ties go to the first.
                    let k = (0..n - 1).min_by_key(|&k| (cost(b, k), k)).unwrap_or(0);
                    let p = pair_at(b, k);
                    pairs[usize::from(p) / 64] |= 1 << (p % 64);
                    by_pair.entry(p).or_default().push((id, k as u32));
                }
            }
        }
        let mut rank = Box::new([0u32; 1024]);
        let mut seen = 0u32;
        for (r, w) in rank.iter_mut().zip(pairs.iter()) {
            *r = seen;
            seen += w.count_ones();
        }
        let mut ordered: Vec<(u16, Vec<(u32, u32)>)> = by_pair.into_iter().collect();
        ordered.sort_unstable_by_key(|(p, _)| *p);
        let mut starts = Vec::with_capacity(ordered.len() + 1);
        let mut cands = Vec::new();
        for (_, run) in ordered {
            starts.push(u32::try_from(cands.len()).map_err(|_| "too many literals".to_owned())?);
            cands.extend(run);
        }
        starts.push(u32::try_from(cands.len()).map_err(|_| "too many literals".to_owned())?);
        Ok(LiteralSearch {
            pairs,
            rank,
            starts: starts.into_boxed_slice(),
            cands: cands.into_boxed_slice(),
            singles,
            single_id,
            lits: literals
                .iter()
                .map(|l| l.as_bytes().to_vec().into_boxed_slice())
                .collect(),
            stride2,
        })
    }

    /// Calls `found(pattern, start, end)` for every occurrence of every
    /// literal in `text` (not in order of start).
    #[inline]
    pub fn find_all(&self, text: &[u8], mut found: impl FnMut(u32, usize, usize)) {
        let singles = self.singles != [0; 4];
        // The hot loop of rule evaluation: written so that it compiles to a
        // handful of instructions per byte (the previous byte kept in a
        // register, the table index provably in bounds), which measured
        // about half the instructions of a `windows(2)` loop.
        let pairs: &[u64; 1024] = &self.pairs;
        if self.stride2 {
            // Even positions only: `chunks_exact(2)` yields exactly the
            // pairs starting at 0, 2, 4, … that fit in the text.
            for (c, two) in text.chunks_exact(2).enumerate() {
                let p = (u16::from(two[0]) << 8) | u16::from(two[1]);
                if pairs[usize::from(p >> 6)] & (1u64 << (p & 63)) != 0 {
                    self.at_pair(text, 2 * c, p, &mut found);
                }
            }
        } else if let Some((&first, rest)) = text.split_first() {
            let mut prev = u16::from(first);
            for (j, &b) in rest.iter().enumerate() {
                let p = (prev << 8) | u16::from(b);
                prev = u16::from(b);
                if pairs[usize::from(p >> 6)] & (1u64 << (p & 63)) != 0 {
                    self.at_pair(text, j, p, &mut found);
                }
            }
        }
        if singles {
            for (i, &a) in text.iter().enumerate() {
                if self.singles[usize::from(a >> 6)] & (1 << (a & 63)) != 0 {
                    if let Some(&id) = self.single_id.get(&a) {
                        found(id, i, i + 1);
                    }
                }
            }
        }
    }

    /// The literals indexed by the pair at `i`, aligned on it.
    #[inline(never)]
    fn at_pair(&self, text: &[u8], i: usize, p: u16, found: &mut impl FnMut(u32, usize, usize)) {
        let w = usize::from(p) / 64;
        let (Some(&bits), Some(&before)) = (self.pairs.get(w), self.rank.get(w)) else {
            return;
        };
        let r = before as usize + (bits & ((1u64 << (p % 64)) - 1)).count_ones() as usize;
        let (Some(&a), Some(&b)) = (self.starts.get(r), self.starts.get(r + 1)) else {
            return;
        };
        let Some(cands) = self.cands.get(a as usize..b as usize) else {
            return;
        };
        for &(id, k) in cands {
            let Some(lit) = self.lits.get(id as usize) else {
                continue;
            };
            let Some(start) = i.checked_sub(k as usize) else {
                continue;
            };
            let end = start + lit.len();
            // The ends first: cheaper than a call to memcmp, and usually
            // enough to reject.
            let (Some(&first), Some(&last)) = (text.get(start), text.get(end.wrapping_sub(1)))
            else {
                continue;
            };
            if first != lit[0] || last != lit[lit.len() - 1] {
                continue;
            }
            if text.get(start..end) == Some(&lit[..]) {
                found(id, start, end);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(text: &str, lits: &[String]) -> Vec<(u32, usize, usize)> {
        let mut out = Vec::new();
        for i in 0..text.len() {
            for (id, l) in lits.iter().enumerate() {
                if text.as_bytes()[i..].starts_with(l.as_bytes()) {
                    out.push((id as u32, i, i + l.len()));
                }
            }
        }
        out.sort();
        out
    }

    /// Every occurrence `s` finds in `text`, sorted.
    fn found(s: &LiteralSearch, text: &str) -> Vec<(u32, usize, usize)> {
        let mut got = Vec::new();
        s.find_all(text.as_bytes(), |id, a, b| got.push((id, a, b)));
        got.sort();
        got
    }

    #[test]
    fn finds_every_occurrence_like_a_naive_search() {
        let lits: Vec<String> = [
            "a",
            "ab",
            "abc",
            "bca",
            "/etc/passwd",
            "c",
            "${jndi:",
            "zz",
            "/remote/hostcheck_validate",
            "é",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let s = LiteralSearch::new(&lits).unwrap();
        for text in [
            "",
            "abcabca",
            "x/etc/passwd",
            "${jndi:ldap}",
            "zzz",
            "aaab\0ca",
            "/remote/hostcheck_validate?x",
            "caféé",
        ] {
            assert_eq!(found(&s, text), naive(text, &lits), "{text:?}");
        }
    }

    #[test]
    fn without_two_byte_literals_every_other_position_suffices() {
        let lits: Vec<String> = ["abc", "bca", "aaa", "abab", "/etc/passwd", "${jndi:", "x"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let s = LiteralSearch::new(&lits).unwrap();
        assert!(s.stride2);
        for text in [
            "",
            "abcabca",
            "aaaaa",
            "ababab",
            "x/etc/passwd",
            "z${jndi:x",
            "ab\0cab",
        ] {
            assert_eq!(found(&s, text), naive(text, &lits), "{text:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_naive_search_at_every_other_position(
            lits in proptest::collection::vec("[ab/%é.]{3,6}|[ab]", 1..12),
            text in "[ab/%é.\\x00]{0,40}",
        ) {
            let mut lits = lits;
            lits.sort();
            lits.dedup();
            let s = LiteralSearch::new(&lits).unwrap();
            proptest::prop_assert!(s.stride2);
            proptest::prop_assert_eq!(found(&s, &text), naive(&text, &lits));
        }

        #[test]
        fn agrees_with_naive_search(
            lits in proptest::collection::vec("[ab/%é.]{1,5}", 1..12),
            text in "[ab/%é.\\x00]{0,40}",
        ) {
            let mut lits = lits;
            lits.sort();
            lits.dedup();
            let s = LiteralSearch::new(&lits).unwrap();
            proptest::prop_assert_eq!(found(&s, &text), naive(&text, &lits));
        }
    }
}
