//! Key context: what a query key (or the path segment, document-id part or
//! command-line flag before a value) says about the value. One `match` on
//! the compacted key per key; suffix rules only when that misses.
//!
//! Also the GDPR Art. 9 word list, matched with one Aho-Corasick pass over a
//! whole path or key.

use super::decode::hex_val;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

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

/// GDPR Art. 9 words (SPEC §4: health, diagnosis, religion, ethnicity,
/// sexual orientation, biometric, genetic, union membership; plus political
/// opinion, also Art. 9). Multi-word terms appear joined by `_`, `-` and
/// nothing.
///
/// `health` alone is *not* a word here: `/health`, `/healthz`,
/// `/health-check` are liveness probes. It only counts in compounds that
/// name data about a person (`mental_health`, `health_records`,
/// `health-data`, `health_condition`).
const SPECIAL_WORDS: &[&str] = &[
    "mental health",
    "health record",
    "health data",
    "health condition",
    "medical record",
    "medical history",
    "medical condition",
    "diagnosis",
    "diagnoses",
    "prescription",
    "medication",
    "disability",
    "disabilities",
    "hiv",
    "pregnancy",
    "patient",
    "blood type",
    "illness",
    "disease",
    "allergy",
    "allergies",
    "religion",
    "religious",
    "ethnicity",
    "ethnic origin",
    "racial origin",
    "sexual orientation",
    "sexuality",
    "biometric",
    "genetic",
    "genome",
    "dna",
    "trade union",
    "union membership",
    "union member",
    "political opinion",
    "political affiliation",
];

/// The automaton for [`SPECIAL_WORDS`]: ASCII case-insensitive,
/// leftmost-longest.
pub(crate) fn special_words() -> AhoCorasick {
    let mut patterns = Vec::with_capacity(SPECIAL_WORDS.len() * 3);
    for w in SPECIAL_WORDS {
        if w.contains(' ') {
            for sep in ["_", "-", ""] {
                patterns.push(w.replace(' ', sep));
            }
        } else {
            patterns.push((*w).to_string());
        }
    }
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::LeftmostLongest)
        .build(patterns)
        .expect("static word list builds")
}

/// Finds the first Art. 9 word in `text` that stands as a word: not glued
/// to letters on either side (`/outpatient`, `/hivemind` do not count),
/// allowing a plural `s`/`es`. Returns its byte range.
pub(crate) fn find_special(ac: &AhoCorasick, text: &[u8]) -> Option<(usize, usize)> {
    for m in ac.find_iter(text) {
        let (s, mut e) = (m.start(), m.end());
        if s > 0 && text[s - 1].is_ascii_alphabetic() {
            continue;
        }
        if text[e..]
            .first()
            .is_some_and(|b| b.eq_ignore_ascii_case(&b's'))
        {
            e += 1;
        } else if text[e..].len() >= 2 && text[e..e + 2].eq_ignore_ascii_case(b"es") {
            e += 2;
        }
        if text.get(e).is_some_and(u8::is_ascii_alphabetic) {
            continue;
        }
        return Some((s, e));
    }
    None
}

/// A key is "race" (the only Art. 9 key too ambiguous to look for in paths,
/// where `/race/2024` is a marathon).
pub(crate) fn is_race_key(raw: &[u8]) -> bool {
    let mut buf = [0u8; MAX_KEY];
    matches!(compact(raw, &mut buf), Some(n) if &buf[..n] == b"race")
}

#[cfg(test)]
mod tests {
    use super::*;
    use KeyClass::*;

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
        let ac = special_words();
        let hit = |s: &str| find_special(&ac, s.as_bytes()).is_some();
        assert!(hit("/patients/123/diagnosis"));
        assert!(hit("/api/v1/Diagnoses"));
        assert!(hit("/users/9/mental-health"));
        assert!(hit("/records/health_records/2"));
        assert!(hit("sexualOrientation"));
        assert!(hit("/hiv_status"));
        assert!(!hit("/healthz"));
        assert!(!hit("/health"));
        assert!(!hit("/api/health/live"));
        assert!(!hit("/_up"));
        assert!(!hit("/outpatient"));
        assert!(!hit("/hivemind"));
        assert!(!hit("/diagnostics"));
        assert!(!hit("/race/2024"));
        assert!(is_race_key(b"race"));
    }
}
