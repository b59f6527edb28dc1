//! The text log records are made of: kinds of mail (sender, subjects, tags,
//! links), mail clients' user agents and SMTP replies.

use std::fmt::Write as _;

/// The kind of mail a message is; its sender, subjects, tags and links go
/// together.
pub(super) struct Category {
    pub(super) sender: &'static str,
    pub(super) subjects: &'static [&'static str],
    pub(super) tags: &'static [&'static [&'static str]],
    pub(super) links: &'static [&'static str],
}

pub(super) const CATEGORIES: &[Category] = &[
    Category {
        sender: "newsletter",
        subjects: &[
            "Your weekly digest: 5 stories worth your time",
            "This week at Example Shop",
            "New arrivals you'll love",
            "The May edition is here",
            "3 tips to get more from your account",
        ],
        tags: &[
            &["newsletter", "weekly"],
            &["newsletter", "monthly"],
            &["newsletter", "product-updates"],
        ],
        links: &[
            "/collections/new-arrivals?utm_source=newsletter&utm_medium=email&utm_campaign=weekly",
            "/blog/how-we-source-our-cotton?utm_source=newsletter&utm_medium=email",
            "/account/preferences?utm_source=newsletter",
        ],
    },
    Category {
        sender: "orders",
        subjects: &[
            "Your order #{order} has shipped",
            "Order #{order} confirmed",
            "Your receipt from Example Shop (#{order})",
            "Your package is out for delivery",
            "Refund processed for order #{order}",
        ],
        tags: &[
            &["transactional", "order"],
            &["transactional", "shipping"],
            &["transactional", "receipt"],
        ],
        links: &[
            "/account/orders/{order}",
            "/track?order={order}&carrier=dhl",
        ],
    },
    Category {
        sender: "noreply",
        subjects: &[
            "Reset your password",
            "Confirm your email address",
            "New sign-in from Chrome on Windows",
            "Your verification code",
        ],
        tags: &[&["account", "security"], &["account", "onboarding"]],
        links: &["/account/reset?token=redacted", "/account/verify"],
    },
    Category {
        sender: "marketing",
        subjects: &[
            "Spring Sale: 30% off everything",
            "Last chance: free shipping ends tonight",
            "You left something in your cart",
            "A gift for you: 15% off your next order",
            "We miss you, here's 20% off",
        ],
        tags: &[
            &["promo", "spring-sale"],
            &["promo", "cart-recovery"],
            &["promo", "win-back"],
        ],
        links: &[
            "/sale?utm_source=email&utm_campaign=spring-sale",
            "/cart?utm_source=email&utm_campaign=cart-recovery",
        ],
    },
];
pub(super) const CATEGORY_WEIGHTS: &[u32] = &[45, 30, 10, 15];

pub(super) const USER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17531; Pro)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Thunderbird/115.10.1",
    "YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html",
];

pub(super) const BOUNCE_RESPONSES: &[&str] = &[
    "550 5.1.1 The email account that you tried to reach does not exist",
    "550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown in virtual mailbox table",
    "552 5.2.2 Mailbox full: user is over quota",
    "550 5.7.1 Message rejected due to content restrictions",
    "554 5.7.1 Service unavailable; Client host [192.0.2.14] blocked using zen.spamhaus.org",
];
pub(super) const DEFER_RESPONSES: &[&str] = &[
    "421 4.7.0 Try again later, closing connection.",
    "451 4.7.1 Greylisted, please try again in 300 seconds",
    "452 4.2.2 The email account that you tried to reach is over quota",
    "421 4.7.28 Unusual rate of unsolicited mail from your IP; try again later",
];
pub(super) const PERMANENT_RESPONSES: &[&str] = &[
    "550 5.4.1 Recipient address rejected: Access denied",
    "554 5.7.9 Message not accepted for policy reasons",
    "550 5.7.26 Unauthenticated email is not accepted from this domain",
];
pub(super) const FAILED_RESPONSES: &[&str] = &[
    "Connection timed out after 30s (mx1.contoso.org:25)",
    "DNS lookup failed for recipient domain: NXDOMAIN",
    "TLS handshake failed: certificate expired",
];

pub(super) fn delivered_response(out: &mut String, recipient: &str, h: u64) {
    let provider = recipient.rsplit('@').next().unwrap_or_default();
    let _ = match provider {
        "gmail.com" => write!(
            out,
            "250 2.0.0 OK {} {:x} - gsmtp",
            1_716_000_000 + h % 1_000_000,
            h >> 36
        ),
        "outlook.com" | "hotmail.com" => write!(out, "250 2.6.0 Queued mail for delivery"),
        "yahoo.com" => write!(out, "250 ok dirdel"),
        _ => write!(out, "250 2.0.0 Ok: queued as {:010X}", h >> 24),
    };
}
