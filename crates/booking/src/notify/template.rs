//! The mail templates (`templates/mail.txt`, `templates/mail.html`): a
//! layout with `{{name}}` holes. Values are escaped for HTML in the HTML
//! part; the text part takes them as they are.

const TEXT: &str = include_str!("templates/mail.txt");
const HTML: &str = include_str!("templates/mail.html");

/// What a mail says, before it is laid out.
#[derive(Debug, Clone, Default)]
pub struct Letter {
    pub subject: String,
    pub greeting: String,
    pub headline: String,
    /// Label and value, one line each.
    pub details: Vec<(String, String)>,
    /// A list under the details (an order's tickets).
    pub items: Vec<String>,
    pub closing: String,
}

impl Letter {
    pub fn text(&self) -> String {
        let details: String = (self.details.iter())
            .map(|(k, v)| format!("{k}: {v}\n"))
            .collect();
        let items: String = self.items.iter().map(|i| format!("  - {i}\n")).collect();
        fill(TEXT, |hole| match hole {
            "greeting" => self.greeting.clone(),
            "headline" => self.headline.clone(),
            "details" => details.clone(),
            "items" => items.clone(),
            "closing" => self.closing.clone(),
            _ => String::new(),
        })
    }

    pub fn html(&self) -> String {
        let details: String = (self.details.iter())
            .map(|(k, v)| {
                format!(
                    "<tr><th scope=\"row\">{}</th><td>{}</td></tr>",
                    escape(k),
                    escape(v)
                )
            })
            .collect();
        let items = if self.items.is_empty() {
            String::new()
        } else {
            let lis: String = (self.items.iter())
                .map(|i| format!("<li><code>{}</code></li>", escape(i)))
                .collect();
            format!("<ul>{lis}</ul>")
        };
        fill(HTML, |hole| match hole {
            "subject" => escape(&self.subject),
            "greeting" => escape(&self.greeting),
            "headline" => escape(&self.headline),
            "details" => details.clone(),
            "items" => items.clone(),
            "closing" => escape(&self.closing),
            _ => String::new(),
        })
    }
}

/// The template with each `{{hole}}` replaced by `value(hole)`.
fn fill(template: &str, value: impl Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(template.len() * 2);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        out.push_str(&value(after[..end].trim()));
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_html_part_escapes_what_users_wrote_and_the_text_part_keeps_it() {
        let letter = Letter {
            subject: "Booked".into(),
            greeting: "Hello <b>Ama</b>".into(),
            headline: "Your booking is confirmed.".into(),
            details: vec![("With".into(), "Kofi & Sons <script>".into())],
            items: vec!["VIP: CODE1".into()],
            closing: "See you".into(),
        };
        let html = letter.html();
        assert!(html.contains("Kofi &amp; Sons &lt;script&gt;"));
        assert!(!html.contains("<script>"));
        assert!(html.contains("<li><code>VIP: CODE1</code></li>"));
        let text = letter.text();
        assert!(text.contains("With: Kofi & Sons <script>\n"));
        assert!(text.contains("  - VIP: CODE1\n"));
        assert!(!text.contains("{{"));
    }
}
