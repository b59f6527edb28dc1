//! Made-up people: first and last names, mail providers, and the
//! addresses made of them.

use std::fmt::Write as _;

use super::rng::Rng;

const FIRST_NAMES: &[&str] = &[
    "Alice",
    "Bruno",
    "Chen",
    "Daniela",
    "Emeka",
    "Fatima",
    "Gustav",
    "Hana",
    "Ivan",
    "Jasmine",
    "Kofi",
    "Laura",
    "Mateo",
    "Nadia",
    "Oliver",
    "Priya",
    "Quentin",
    "Rosa",
    "Sven",
    "Tomoko",
    "Umar",
    "Valentina",
    "William",
    "Ximena",
    "Yusuf",
    "Zoe",
    "Aarav",
    "Beatriz",
    "Carlos",
    "Dmitri",
    "Elena",
    "Farah",
    "Giulia",
    "Hiroshi",
    "Ingrid",
    "Jamal",
    "Katarzyna",
    "Liam",
    "Mei",
    "Noah",
    "Olga",
    "Pedro",
    "Rahul",
    "Sofia",
    "Thabo",
    "Ana",
    "Ben",
    "Chloe",
    "David",
    "Emma",
    "Felix",
    "Grace",
    "Hugo",
    "Isla",
    "Jack",
    "Kai",
    "Lena",
    "Marco",
    "Nora",
    "Oscar",
];

const LAST_NAMES: &[&str] = &[
    "Smith",
    "Garcia",
    "Chen",
    "Muller",
    "Okafor",
    "Rossi",
    "Nakamura",
    "Kowalski",
    "Silva",
    "Johansson",
    "Patel",
    "Dubois",
    "Nguyen",
    "Ivanova",
    "Hernandez",
    "Kim",
    "Brown",
    "Novak",
    "Costa",
    "Schmidt",
    "Haddad",
    "Tanaka",
    "Jensen",
    "Lopez",
    "Murphy",
    "Fischer",
    "Singh",
    "Moreau",
    "Yilmaz",
    "Andersen",
    "Martin",
    "Wilson",
    "Bianchi",
    "Sato",
    "Cohen",
    "Mensah",
    "Ferreira",
    "Larsen",
    "Walker",
    "Kaur",
    "Petrov",
    "Romero",
    "OConnor",
    "Lindqvist",
    "Abe",
];

const PROVIDERS: &[&str] = &[
    "gmail.com",
    "gmail.com",
    "gmail.com",
    "outlook.com",
    "hotmail.com",
    "yahoo.com",
    "icloud.com",
    "proton.me",
    "gmx.de",
    "web.de",
    "orange.fr",
    "btinternet.com",
    "comcast.net",
    "fastmail.com",
    "libero.it",
    "northwind-traders.com",
    "contoso.org",
];

/// Appends a realistic address to `out`, varying the local-part style, and
/// returns the person's first and last name.
pub(super) fn address_into(rng: &mut Rng, out: &mut String) -> (&'static str, &'static str) {
    let first = *rng.pick(FIRST_NAMES);
    let last = *rng.pick(LAST_NAMES);
    let provider = *rng.pick(PROVIDERS);
    let style = rng.below(6);
    let lower = |out: &mut String, s: &str| out.extend(s.chars().map(|c| c.to_ascii_lowercase()));
    match style {
        0 | 1 | 3 | 5 => {
            lower(out, first);
            out.push(if style == 3 { '_' } else { '.' });
            lower(out, last);
            if style == 5 {
                out.push_str("+news");
            }
        }
        2 => {
            lower(out, &first[..1]);
            lower(out, last);
        }
        _ => {
            lower(out, first);
            lower(out, last);
            let _ = write!(out, "{}", 70 + rng.below(35));
        }
    }
    out.push('@');
    out.push_str(provider);
    (first, last)
}

/// A person's name and address.
pub(super) fn address(rng: &mut Rng) -> (String, String) {
    let mut email = String::new();
    let (first, last) = address_into(rng, &mut email);
    (format!("{first} {last}"), email)
}
