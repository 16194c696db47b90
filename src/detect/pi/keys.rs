//! Key context: what a query key (or the path segment, document-id part or
//! command-line flag before a value) says about the value. One `match` on
//! the compacted key per key; suffix rules only when that misses; and a
//! per-thread [`KeyCache`] so the vocabulary a log repeats on every line is
//! classified once.
//!
//! Also the GDPR Art. 9 words, looked for once per path segment and key.

use super::decode::hex_val;

/// What a key says about its value.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub(crate) enum KeyClass {
    /// Nothing known.
    #[default]
    None,
    /// `phone`, `tel`, `mobile`, `msisdn`, …: bare digit runs are phones.
    Phone,
    /// `ssn`, …: bare 9-digit runs are SSNs.
    Ssn,
    /// `password`, `secret`, …: any real value is a credential.
    SecretStrict,
    /// `token`, `api_key`, `auth`, …: token-shaped values are credentials.
    SecretToken,
    /// `dob`, `birthdate`, …: dates are dates of birth.
    Dob,
    /// `first_name`, `surname`, `customer_name`, …
    PersonName,
    /// `lat`, `latitude`.
    Lat,
    /// `lng`, `lon`, `longitude`.
    Lon,
    /// `latlng`, `coords`, `ll`, …: a `lat,lng` pair.
    LatLon,
    /// `national_id`, `dni`, `bsn`, `pesel`, …
    NationalId,
    /// `passport`, `passport_no`, …
    Passport,
    /// `version`, `v`, `build`, …: dotted quads are versions, not addresses.
    Version,
}

/// Longest compacted key that is classified; longer keys are never a known
/// name.
const MAX_KEY: usize = 40;

/// Compacts a raw key for lookup: the last `[...]` or `.` component
/// (`user[email]`, `customer.phone`), `%XX` decoded, ASCII lowercased, with
/// `_`, `-`, space and `+` removed, so `first_name`, `firstName`,
/// `first-name` and `First+Name` all become `firstname`.
pub(crate) fn compact(raw: &[u8], out: &mut [u8; MAX_KEY]) -> Option<usize> {
    let mut key = raw;
    if let Some(open) = key.iter().rposition(|&b| b == b'[') {
        let inner = &key[open + 1..];
        let inner = inner.strip_suffix(b"]").unwrap_or(inner);
        key = if inner.is_empty() {
            &key[..open]
        } else {
            inner
        };
    }
    if let Some(dot) = key.iter().rposition(|&b| b == b'.') {
        if dot + 1 < key.len() {
            key = &key[dot + 1..];
        }
    }
    let mut n = 0;
    let mut i = 0;
    while i < key.len() {
        let mut b = key[i];
        if b == b'%' && i + 2 < key.len() {
            if let (Some(h), Some(l)) = (hex_val(key[i + 1]), hex_val(key[i + 2])) {
                b = h << 4 | l;
                i += 2;
            }
        }
        i += 1;
        if matches!(b, b'_' | b'-' | b' ' | b'+') {
            continue;
        }
        if n == MAX_KEY {
            return None;
        }
        out[n] = b.to_ascii_lowercase();
        n += 1;
    }
    (n > 0).then_some(n)
}

/// Classifies a raw key.
pub(crate) fn classify(raw: &[u8]) -> KeyClass {
    let mut buf = [0u8; MAX_KEY];
    match compact(raw, &mut buf) {
        Some(n) => classify_compact(&buf[..n]),
        None => KeyClass::None,
    }
}

/// What a key or a path segment says about what follows it.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct KeyInfo {
    /// Key context for the value.
    pub class: KeyClass,
    /// The name itself names GDPR Art. 9 data.
    pub special: bool,
}

/// Classifies a query key, and says whether it names Art. 9 data
/// (`religion`, `patient_id`, `sexualOrientation`, and `race`, which is too
/// ambiguous to look for in paths, where `/race/2024` is a marathon).
pub(crate) fn classify_key(raw: &[u8]) -> KeyInfo {
    let mut buf = [0u8; MAX_KEY];
    let Some(n) = compact(raw, &mut buf) else {
        return KeyInfo::default();
    };
    let k = &buf[..n];
    KeyInfo {
        class: classify_compact(k),
        special: k == b"race" || find_special(raw).is_some(),
    }
}

/// Classifies a path segment or document-id part: key context only when it
/// is an identifier word (`/phone/…`, `ssn:…`), Art. 9 words when it has
/// letters.
pub(crate) fn classify_segment(raw: &[u8], is_word: bool, letters: bool) -> KeyInfo {
    KeyInfo {
        class: if is_word {
            classify(raw)
        } else {
            KeyClass::None
        },
        special: letters && find_special(raw).is_some(),
    }
}

/// Sets of two slots each.
const CACHE_SETS: usize = 256;
/// Longest name cached; longer ones are classified every time.
const CACHED_LEN: usize = 22;

#[derive(Copy, Clone)]
struct Slot {
    /// `u8::MAX` for an empty slot.
    len: u8,
    name: [u8; CACHED_LEN],
    info: KeyInfo,
}

/// A per-thread memo of [`KeyInfo`] by raw name, two-way set-associative. Logs repeat
/// a small vocabulary of keys and path words (`page`, `sort`, `api`,
/// `users`) on every line; a hit costs a hash and one compare instead of
/// compaction, a `match` and an Art. 9 word scan. A collision only costs a
/// recomputation. The hash reads every byte: names that differ only inside
/// (`acme_orders`, `acme_events`) would otherwise share a slot and evict
/// each other on every line.
pub(crate) struct KeyCache {
    slots: Box<[Slot]>,
}

impl Default for KeyCache {
    fn default() -> Self {
        let empty = Slot {
            len: u8::MAX,
            name: [0; CACHED_LEN],
            info: KeyInfo::default(),
        };
        KeyCache {
            slots: vec![empty; 2 * CACHE_SETS].into_boxed_slice(),
        }
    }
}

impl KeyCache {
    /// Bytes reserved, for `Debug`.
    pub(crate) fn capacity(&self) -> usize {
        self.slots.len() * std::mem::size_of::<Slot>()
    }

    /// The info for `raw`, computed by `classify` on a miss.
    pub(crate) fn get(&mut self, raw: &[u8], classify: impl FnOnce(&[u8]) -> KeyInfo) -> KeyInfo {
        let n = raw.len();
        if n == 0 || n > CACHED_LEN {
            return classify(raw);
        }
        let mix = raw.iter().fold(n as u32, |h, &b| {
            (h.rotate_left(5) ^ u32::from(b)).wrapping_mul(0x9E37_79B1)
        });
        let i = 2 * (mix >> 24) as usize;
        for slot in &self.slots[i..i + 2] {
            if usize::from(slot.len) == n && slot.name[..n] == *raw {
                return slot.info;
            }
        }
        let info = classify(raw);
        // The older entry moves to the second way: two names alternating in
        // one set (`acme_orders` and `users` on the same lines) both stay.
        self.slots[i + 1] = self.slots[i];
        let slot = &mut self.slots[i];
        slot.len = n as u8;
        slot.name[..n].copy_from_slice(raw);
        slot.info = info;
        info
    }
}

/// Whether `raw` (a path segment or document id) holds a GDPR Art. 9 word,
/// memoized in `cache`. Digits are all the same to [`find_special`] (word
/// breaks), so they are folded to `0` before the lookup: `cust_097246` and
/// `cust_113020` share one entry, and the ids of a log hit the memo.
pub(crate) fn has_special(raw: &[u8], cache: &mut KeyCache) -> bool {
    let n = raw.len();
    if n == 0 || n > CACHED_LEN {
        return find_special(raw).is_some();
    }
    let mut buf = [0u8; CACHED_LEN];
    for (d, &b) in buf.iter_mut().zip(raw) {
        *d = if b.is_ascii_digit() { b'0' } else { b };
    }
    cache
        .get(&buf[..n], |s| KeyInfo {
            class: KeyClass::None,
            special: find_special(s).is_some(),
        })
        .special
}

fn classify_compact(k: &[u8]) -> KeyClass {
    use KeyClass::*;
    match k {
        b"phone" | b"phonenumber" | b"phoneno" | b"phonenum" | b"tel" | b"telephone" | b"telno"
        | b"mobile" | b"mobileno" | b"mobilenumber" | b"msisdn" | b"cell" | b"cellphone"
        | b"cellnumber" | b"fax" | b"faxnumber" | b"whatsapp" | b"contactnumber" | b"sms"
        | b"callerid" => Phone,
        b"ssn"
        | b"socialsecurity"
        | b"socialsecuritynumber"
        | b"socialsecurityno"
        | b"ssnumber" => Ssn,
        b"password" | b"passwd" | b"pwd" | b"pass" | b"passphrase" | b"secret"
        | b"clientsecret" | b"privatekey" | b"passcode" => SecretStrict,
        b"token" | b"accesstoken" | b"refreshtoken" | b"idtoken" | b"authtoken" | b"apikey"
        | b"apitoken" | b"auth" | b"authorization" | b"accesskey" | b"secretkey" | b"sessionid"
        | b"sessiontoken" | b"jsessionid" | b"phpsessid" | b"bearer" | b"oauthtoken"
        | b"xapikey" | b"accesskeyid" | b"securitytoken" | b"xamzsecuritytoken" => SecretToken,
        b"dob" | b"dateofbirth" | b"birthdate" | b"birthday" | b"bday" | b"birthdt"
        | b"geburtsdatum" | b"fechanacimiento" | b"fechadenacimiento" | b"datenaissance"
        | b"datadinascita" => Dob,
        b"firstname" | b"lastname" | b"fullname" | b"surname" | b"givenname" | b"givennames"
        | b"familyname" | b"middlename" | b"maidenname" | b"fname" | b"lname" | b"forename"
        | b"forenames" | b"legalname" | b"realname" | b"birthname" | b"cardholder"
        | b"cardholdername" | b"nameoncard" | b"mothersmaidenname" => PersonName,
        b"lat" | b"latitude" => Lat,
        b"lng" | b"lon" | b"long" | b"longitude" => Lon,
        b"latlng" | b"latlon" | b"latlong" | b"ll" | b"coords" | b"coordinates" | b"geo"
        | b"geolocation" | b"location" | b"loc" | b"gps" => LatLon,
        b"nationalid"
        | b"nationalidnumber"
        | b"nationalidentifier"
        | b"nid"
        | b"nin"
        | b"idnumber"
        | b"idno"
        | b"identitynumber"
        | b"identitycard"
        | b"idcard"
        | b"citizenid"
        | b"personalid"
        | b"personalnumber"
        | b"personnummer"
        | b"dni"
        | b"nie"
        | b"nif"
        | b"cpf"
        | b"curp"
        | b"rut"
        | b"bsn"
        | b"pesel"
        | b"sin"
        | b"tfn"
        | b"codicefiscale"
        | b"steuerid"
        | b"taxid"
        | b"tin"
        | b"nino"
        | b"nationalinsurancenumber" => NationalId,
        b"passport" | b"passportno" | b"passportnumber" | b"passportnum" | b"passportid" => {
            Passport
        }
        b"v" | b"ver" | b"version" | b"versions" | b"release" | b"releases" | b"build"
        | b"builds" | b"rev" | b"revision" | b"fw" | b"firmware" | b"sdk" | b"tag" | b"tags" => {
            Version
        }
        _ => classify_suffix(k),
    }
}

/// Person nouns that make `<noun>name` a person's name (`customer_name`,
/// `patientName`). `username` and `filename` are deliberately absent.
const PERSON_NOUNS: &[&[u8]] = &[
    b"customer",
    b"patient",
    b"contact",
    b"cardholder",
    b"holder",
    b"accountholder",
    b"recipient",
    b"sender",
    b"employee",
    b"member",
    b"client",
    b"guest",
    b"passenger",
    b"applicant",
    b"person",
    b"beneficiary",
    b"insured",
    b"subscriber",
    b"buyer",
    b"billing",
    b"shipping",
    b"first",
    b"last",
    b"full",
    b"given",
    b"family",
    b"middle",
    b"maiden",
];

/// Prefixes that make `<prefix>token` a paging or anti-forgery handle, not a
/// credential (`pageToken`, `next_token`, `csrf_token`).
const NOT_CREDENTIAL_TOKENS: &[&[u8]] = &[
    b"page",
    b"next",
    b"prev",
    b"continuation",
    b"csrf",
    b"xsrf",
    b"sync",
    b"cursor",
    b"resume",
];

fn classify_suffix(k: &[u8]) -> KeyClass {
    use KeyClass::*;
    let ends = |s: &[u8]| k.ends_with(s);
    if ends(b"password") || ends(b"passwd") || ends(b"secret") {
        SecretStrict
    } else if ends(b"token") {
        if NOT_CREDENTIAL_TOKENS.iter().any(|p| k.starts_with(p)) {
            None
        } else {
            SecretToken
        }
    } else if ends(b"apikey") || ends(b"accesskey") || ends(b"secretkey") || ends(b"sessionid") {
        SecretToken
    } else if ends(b"phone") || ends(b"mobile") || ends(b"msisdn") || ends(b"phonenumber") {
        Phone
    } else if ends(b"ssn") {
        Ssn
    } else if ends(b"dob") || ends(b"birthdate") || ends(b"dateofbirth") {
        Dob
    } else if let Some(noun) = k.strip_suffix(b"name") {
        if PERSON_NOUNS.iter().any(|p| noun.ends_with(p)) {
            PersonName
        } else {
            None
        }
    } else if ends(b"passport") || ends(b"passportnumber") || ends(b"passportno") {
        Passport
    } else if ends(b"nationalid") {
        NationalId
    } else if ends(b"version") {
        Version
    } else {
        None
    }
}

/// GDPR Art. 9 words that name special-category data on their own (SPEC
/// §4: health, diagnosis, religion, ethnicity, sexual orientation,
/// biometric, genetic, union membership; plus political opinion, also
/// Art. 9), lowercase, including multi-word terms written as one word.
///
/// `health` alone is *not* here: `/health`, `/healthz`, `/health-check`
/// are liveness probes. It only counts in compounds that name data about a
/// person (`mental_health`, `health_records`, `healthData`).
fn special_word(w: &[u8]) -> bool {
    matches!(
        w,
        b"diagnosis"
            | b"diagnoses"
            | b"prescription"
            | b"prescriptions"
            | b"medication"
            | b"medications"
            | b"disability"
            | b"disabilities"
            | b"hiv"
            | b"pregnancy"
            | b"pregnancies"
            | b"patient"
            | b"patients"
            | b"illness"
            | b"illnesses"
            | b"disease"
            | b"diseases"
            | b"allergy"
            | b"allergies"
            | b"religion"
            | b"religions"
            | b"religious"
            | b"ethnicity"
            | b"ethnicities"
            | b"sexuality"
            | b"biometric"
            | b"biometrics"
            | b"genetic"
            | b"genetics"
            | b"genome"
            | b"genomes"
            | b"genomic"
            | b"dna"
            | b"mentalhealth"
            | b"healthrecord"
            | b"healthrecords"
            | b"healthdata"
            | b"healthcondition"
            | b"healthconditions"
            | b"medicalrecord"
            | b"medicalrecords"
            | b"medicalhistory"
            | b"medicalcondition"
            | b"medicalconditions"
            | b"bloodtype"
            | b"ethnicorigin"
            | b"racialorigin"
            | b"sexualorientation"
            | b"tradeunion"
            | b"tradeunions"
            | b"unionmember"
            | b"unionmembers"
            | b"unionmembership"
            | b"politicalopinion"
            | b"politicalopinions"
            | b"politicalaffiliation"
    )
}

/// First words of the Art. 9 word pairs.
#[derive(Copy, Clone, PartialEq, Eq)]
enum PairStart {
    Mental,
    Health,
    Medical,
    Blood,
    Origin,
    Sexual,
    Trade,
    Union,
    Political,
}

fn pair_start(w: &[u8]) -> Option<PairStart> {
    use PairStart::*;
    Some(match w {
        b"mental" => Mental,
        b"health" => Health,
        b"medical" => Medical,
        b"blood" => Blood,
        b"ethnic" | b"racial" => Origin,
        b"sexual" => Sexual,
        b"trade" => Trade,
        b"union" => Union,
        b"political" => Political,
        _ => return None,
    })
}

/// Whether `second` completes a pair started by `first`.
fn pair_ends(first: PairStart, second: &[u8]) -> bool {
    use PairStart::*;
    match first {
        Mental => second == b"health",
        Health => matches!(
            second,
            b"record" | b"records" | b"data" | b"condition" | b"conditions"
        ),
        Medical => matches!(
            second,
            b"record" | b"records" | b"history" | b"condition" | b"conditions"
        ),
        Blood => second == b"type",
        Origin => second == b"origin",
        Sexual => second == b"orientation",
        Trade => matches!(second, b"union" | b"unions"),
        Union => matches!(second, b"member" | b"members" | b"membership"),
        Political => matches!(second, b"opinion" | b"opinions" | b"affiliation"),
    }
}

/// Longest word compared; longer ones are no Art. 9 word.
const MAX_WORD: usize = 20;

/// Bit `b` of entry `a`: some Art. 9 word or pair's first word begins with
/// the letters `a`, `b` (lowercase, `a`–`z` as 0–25). Lets most words of a URL
/// (`api`, `users`, `orders`) be dismissed without copying them.
static FIRST_TWO: [u32; 26] = first_two();

const fn first_two() -> [u32; 26] {
    const PREFIXES: &[&[u8; 2]] = &[
        b"di", b"pr", b"me", b"hi", b"pa", b"il", b"al", b"re", b"et", b"se", b"bi", b"ge", b"dn",
        b"he", b"bl", b"ra", b"tr", b"un", b"po",
    ];
    let mut t = [0u32; 26];
    let mut i = 0;
    while i < PREFIXES.len() {
        let p = PREFIXES[i];
        t[(p[0] - b'a') as usize] |= 1 << (p[1] - b'a');
        i += 1;
    }
    t
}

/// Finds the first Art. 9 word or word pair in `text` and returns its byte
/// range. Words are runs of ASCII letters, also split at camelCase humps
/// (`getPatientRecords`); a word glued to other letters is a different word
/// (`/outpatient`, `/hivemind`, `/diagnostics`). Two words pair up when
/// joined by `_`, `-`, `.`, a space or a camelCase hump.
///
/// Hand-written rather than Aho-Corasick: it runs once per path and once
/// per query key, and on such short texts a word loop that dismisses most
/// words by length and first two letters costs less than the automaton's
/// start-up.
pub(crate) fn find_special(text: &[u8]) -> Option<(usize, usize)> {
    // The pair started by the previous word, if it was joined to this one.
    let mut open: Option<(usize, PairStart)> = None;
    let mut i = 0;
    while i < text.len() {
        if !text[i].is_ascii_alphabetic() {
            i += 1;
            open = None;
            continue;
        }
        let s = i;
        i += 1;
        while i < text.len()
            && text[i].is_ascii_alphabetic()
            && !(text[i].is_ascii_uppercase() && text[i - 1].is_ascii_lowercase())
        {
            i += 1;
        }
        let n = i - s;
        let (a, b) = (
            text[s].to_ascii_lowercase(),
            text.get(s + 1).map_or(0, u8::to_ascii_lowercase),
        );
        // Second words of pairs (`data`, `type`, `orientation`) are only
        // compared right after a first word.
        let candidate = (3..=MAX_WORD).contains(&n)
            && b.is_ascii_lowercase()
            && (open.is_some() || FIRST_TWO[(a - b'a') as usize] & (1 << (b - b'a')) != 0);
        let mut next = None;
        if candidate {
            let mut buf = [0u8; MAX_WORD];
            for (k, &c) in text[s..i].iter().enumerate() {
                buf[k] = c.to_ascii_lowercase();
            }
            let word = &buf[..n];
            if special_word(word) {
                return Some((s, i));
            }
            if let Some((ps, first)) = open {
                if pair_ends(first, word) {
                    return Some((ps, i));
                }
            }
            next = pair_start(word).map(|p| (s, p));
        }
        // A pair continues across one joining byte or a camelCase hump.
        open = match text.get(i) {
            Some(&(b'_' | b'-' | b'.' | b' ')) => {
                i += 1;
                next
            }
            Some(c) if c.is_ascii_uppercase() => next,
            _ => None,
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use KeyClass::*;

    #[test]
    fn special_memo_folds_digits() {
        let mut c = KeyCache::default();
        assert!(!has_special(b"cust_097246", &mut c));
        assert!(!has_special(b"cust_113020", &mut c));
        assert!(has_special(b"dna_2024", &mut c));
        assert!(has_special(b"x:2024:blood_type", &mut c));
        assert!(!has_special(b"x:2024:bloody", &mut c));
        let long = b"order-2026-000001-with-a-long-suffix-diagnosis";
        assert!(has_special(long, &mut c));
    }

    #[test]
    fn compaction() {
        let mut b = [0u8; MAX_KEY];
        let n = compact(b"user[First_Name]", &mut b).unwrap();
        assert_eq!(&b[..n], b"firstname");
        let n = compact(b"customer.phone", &mut b).unwrap();
        assert_eq!(&b[..n], b"phone");
        let n = compact(b"ids[]", &mut b).unwrap();
        assert_eq!(&b[..n], b"ids");
        let n = compact(b"date%5Fof%5Fbirth", &mut b).unwrap();
        assert_eq!(&b[..n], b"dateofbirth");
        assert!(compact(&[b'a'; 100], &mut b).is_none());
    }

    #[test]
    fn classes() {
        assert_eq!(classify(b"phone"), Phone);
        assert_eq!(classify(b"homePhone"), Phone);
        assert_eq!(classify(b"MSISDN"), Phone);
        assert_eq!(classify(b"customer_ssn"), Ssn);
        assert_eq!(classify(b"password"), SecretStrict);
        assert_eq!(classify(b"db_password"), SecretStrict);
        assert_eq!(classify(b"access_token"), SecretToken);
        assert_eq!(classify(b"pageToken"), None);
        assert_eq!(classify(b"csrf_token"), None);
        assert_eq!(classify(b"date_of_birth"), Dob);
        assert_eq!(classify(b"first_name"), PersonName);
        assert_eq!(classify(b"customerName"), PersonName);
        assert_eq!(classify(b"username"), None);
        assert_eq!(classify(b"filename"), None);
        assert_eq!(classify(b"name"), None);
        assert_eq!(classify(b"lat"), Lat);
        assert_eq!(classify(b"lng"), Lon);
        assert_eq!(classify(b"ll"), LatLon);
        assert_eq!(classify(b"passport_no"), Passport);
        assert_eq!(classify(b"app_version"), Version);
        assert_eq!(classify(b"page"), None);
    }

    #[test]
    fn special_words_need_word_boundaries() {
        let hit = |s: &str| find_special(s.as_bytes()).is_some();
        assert!(hit("/patients/123/diagnosis"));
        assert!(hit("/api/v1/Diagnoses"));
        assert!(hit("/users/9/mental-health"));
        assert!(hit("/records/health_records/2"));
        assert!(hit("/records/healthrecords/2"));
        assert!(hit("sexualOrientation"));
        assert!(hit("/getPatientRecords"));
        assert!(hit("/hiv_status"));
        assert!(hit("trade union"));
        assert!(!hit("/healthz"));
        assert!(!hit("/health"));
        assert!(!hit("/api/health/live"));
        assert!(!hit("/health-check"));
        assert!(!hit("/_up"));
        assert!(!hit("/outpatient"));
        assert!(!hit("/hivemind"));
        assert!(!hit("/diagnostics"));
        assert!(!hit("/race/2024"));
        assert!(!hit("/mental/2/health"));
        assert_eq!(find_special(b"/x/blood_type/7"), Some((3, 13)));
        assert!(classify_key(b"race").special);
        assert!(classify_key(b"patient_id").special);
        assert!(!classify_key(b"page").special);
        assert!(!classify_segment(b"race", true, true).special);
    }

    #[test]
    fn cache_returns_what_it_was_given() {
        let mut c = KeyCache::default();
        let phone = c.get(b"phone", classify_key);
        assert_eq!(phone.class, Phone);
        assert_eq!(c.get(b"phone", |_| unreachable!("cached")), phone);
        assert_eq!(c.get(b"sort", classify_key), KeyInfo::default());
        let long = [b'a'; 40];
        assert_eq!(
            c.get(&long, |_| KeyInfo {
                class: Ssn,
                special: false
            })
            .class,
            Ssn
        );
    }
}
