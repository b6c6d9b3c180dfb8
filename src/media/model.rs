//! Which files may be sent, how large, and whether a file's bytes are what its type says.
//! WhatsApp's own limits (5 MB for an image, 16 MB for audio and video); a document is held
//! to 16 MB here too, as each file is kept in the database. No SQL, no HTTP.

use crate::error::{Error, Kind};
use rand::RngExt;

/// The largest image.
pub const MAX_IMAGE: usize = 5 * 1024 * 1024;
/// The largest file of any other type.
pub const MAX_FILE: usize = 16 * 1024 * 1024;
/// The most one account keeps in all: every input is bounded, stored files included.
pub const MAX_ACCOUNT_BYTES: i64 = 512 * 1024 * 1024;
/// The longest original file name kept (for a document's name on the phone).
pub const MAX_FILE_NAME: usize = 240;

/// What a file's first bytes must look like for its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signature {
    Jpeg,
    Png,
    Webp,
    /// ISO media: MP4, 3GP, M4A.
    Ftyp,
    Mp3,
    Ogg,
    Adts,
    Amr,
    Pdf,
    /// Legacy Office (OLE compound file).
    Ole,
    /// Office Open XML (a zip).
    Zip,
    /// UTF-8 text without NUL bytes.
    Text,
}

/// A type WhatsApp sends: its MIME type, the extensions that name it, its signature.
struct FileType {
    mime: &'static str,
    extensions: &'static [&'static str],
    signature: Signature,
}

const fn t(
    mime: &'static str,
    extensions: &'static [&'static str],
    signature: Signature,
) -> FileType {
    FileType {
        mime,
        extensions,
        signature,
    }
}

const TYPES: &[FileType] = &[
    t("image/jpeg", &["jpg", "jpeg"], Signature::Jpeg),
    t("image/png", &["png"], Signature::Png),
    t("image/webp", &["webp"], Signature::Webp),
    t("video/mp4", &["mp4"], Signature::Ftyp),
    t("video/3gpp", &["3gp"], Signature::Ftyp),
    t("audio/mpeg", &["mp3"], Signature::Mp3),
    t("audio/ogg", &["ogg", "opus"], Signature::Ogg),
    t("audio/aac", &["aac"], Signature::Adts),
    t("audio/amr", &["amr"], Signature::Amr),
    t("audio/mp4", &["m4a"], Signature::Ftyp),
    t("application/pdf", &["pdf"], Signature::Pdf),
    t("application/msword", &["doc"], Signature::Ole),
    t(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        &["docx"],
        Signature::Zip,
    ),
    t("application/vnd.ms-excel", &["xls"], Signature::Ole),
    t(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &["xlsx"],
        Signature::Zip,
    ),
    t("application/vnd.ms-powerpoint", &["ppt"], Signature::Ole),
    t(
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        &["pptx"],
        Signature::Zip,
    ),
    t("text/plain", &["txt"], Signature::Text),
    t("text/csv", &["csv"], Signature::Text),
];

/// The extensions WhatsApp's types go by, for error messages and the docs.
pub const EXTENSIONS: &str = ".jpg, .png, .webp, .mp4, .3gp, .mp3, .ogg, .aac, .amr, .m4a, \
    .pdf, .doc(x), .xls(x), .ppt(x), .txt, .csv";

/// Every type a kept file may have.
pub fn mime_types() -> impl Iterator<Item = &'static str> {
    TYPES.iter().map(|t| t.mime)
}

fn by_extension(name: &str) -> Option<&'static FileType> {
    let extension = name.rsplit_once('.')?.1.to_ascii_lowercase();
    TYPES
        .iter()
        .find(|t| t.extensions.contains(&extension.as_str()))
}

fn by_mime(mime: &str) -> Option<&'static FileType> {
    TYPES.iter().find(|t| t.mime == mime)
}

/// The MIME type the extension of a URL's path suggests, for the types WhatsApp sends.
pub fn mime_of_url(url: &str) -> Option<&'static str> {
    let path = url.split(['?', '#']).next()?;
    by_extension(path.rsplit('/').next()?).map(|t| t.mime)
}

impl Signature {
    fn matches(self, b: &[u8]) -> bool {
        match self {
            Signature::Jpeg => b.starts_with(&[0xFF, 0xD8, 0xFF]),
            Signature::Png => b.starts_with(b"\x89PNG\r\n\x1a\n"),
            Signature::Webp => b.starts_with(b"RIFF") && b.get(8..12) == Some(b"WEBP"),
            Signature::Ftyp => b.get(4..8) == Some(b"ftyp"),
            Signature::Mp3 => {
                b.starts_with(b"ID3") || (b.len() > 1 && b[0] == 0xFF && b[1] >= 0xE0)
            }
            Signature::Ogg => b.starts_with(b"OggS"),
            Signature::Adts => b.len() > 1 && b[0] == 0xFF && b[1] & 0xF6 == 0xF0,
            Signature::Amr => b.starts_with(b"#!AMR"),
            Signature::Pdf => b.starts_with(b"%PDF-"),
            Signature::Ole => b.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]),
            Signature::Zip => b.starts_with(b"PK\x03\x04"),
            Signature::Text => !b.contains(&0) && std::str::from_utf8(b).is_ok(),
        }
    }
}

/// A file to keep: the name it is fetched by, the name it was sent with, its type, its bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct File {
    /// Unique and unguessable: `getMedia?fileName=` takes it.
    pub name: String,
    pub original: String,
    pub mime: String,
    pub bytes: Vec<u8>,
}

/// What the client sent: the part's file name and `Content-Type`, if any, and its bytes.
#[derive(Debug, Default)]
pub struct Upload {
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

impl Upload {
    /// The file to keep, if it is a type WhatsApp sends, within its size, and its bytes are
    /// of that type. The type is the part's `Content-Type`, or its name's extension when the
    /// part has none (or only `application/octet-stream`). Errors name the field `file`.
    pub fn check(self) -> Result<File, Error> {
        let declared = self
            .content_type
            .as_deref()
            .map(|c| {
                c.split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase()
            })
            .filter(|c| !c.is_empty() && c != "application/octet-stream");
        let original = original_name(self.file_name.as_deref());
        let kind = match declared {
            Some(mime) => by_mime(&mime).ok_or_else(|| {
                Error::invalid(format!("file: {mime} is not a type WhatsApp sends ({EXTENSIONS})"))
            })?,
            None => by_extension(&original).ok_or_else(|| {
                Error::invalid(format!(
                    "file: neither its Content-Type nor its name tells a type WhatsApp sends ({EXTENSIONS})"
                ))
            })?,
        };
        let max = if kind.mime.starts_with("image/") {
            MAX_IMAGE
        } else {
            MAX_FILE
        };
        if self.bytes.len() > max {
            let message = format!("file: a {} file is at most {} MiB", kind.mime, max >> 20);
            return Err(Error::new(Kind::TooLarge, message));
        }
        if self.bytes.is_empty() {
            return Err(Error::invalid("file: empty"));
        }
        if !kind.signature.matches(&self.bytes) {
            return Err(Error::invalid(format!(
                "file: its content is not a {} file",
                kind.mime
            )));
        }
        let original = match original.is_empty() {
            true => format!("file.{}", kind.extensions[0]),
            false => original,
        };
        Ok(File {
            name: stored_name(kind.extensions[0]),
            original,
            mime: kind.mime.to_string(),
            bytes: self.bytes,
        })
    }
}

/// The client's file name without a path or control characters, bounded.
fn original_name(sent: Option<&str>) -> String {
    let last = sent
        .unwrap_or_default()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default();
    let clean: String = last.chars().filter(|c| !c.is_control()).collect();
    let mut end = clean.trim().len().min(MAX_FILE_NAME);
    while !clean.trim().is_char_boundary(end) {
        end -= 1;
    }
    clean.trim()[..end].to_string()
}

/// A new unguessable name with the type's extension.
fn stored_name(extension: &str) -> String {
    let token: [u8; 16] = rand::rng().random();
    format!("{}.{extension}", hex::encode(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    fn upload(name: Option<&str>, content_type: Option<&str>, bytes: &[u8]) -> Upload {
        Upload {
            file_name: name.map(str::to_string),
            content_type: content_type.map(str::to_string),
            bytes: bytes.to_vec(),
        }
    }

    #[test]
    fn a_file_is_kept_when_its_bytes_are_its_type() {
        let f = upload(Some("C:\\pics\\logo.PNG"), None, PNG)
            .check()
            .unwrap();
        assert_eq!(
            (f.mime.as_str(), f.original.as_str()),
            ("image/png", "logo.PNG")
        );
        assert!(f.name.ends_with(".png") && f.name.len() == 36, "{}", f.name);
        let other = upload(Some("logo.png"), None, PNG).check().unwrap();
        assert_ne!(f.name, other.name, "names are unguessable");
        let pdf = upload(None, Some("application/pdf; name=x"), b"%PDF-1.7\n").check();
        assert_eq!(pdf.unwrap().original, "file.pdf");
        let declared = upload(Some("notes"), Some("text/plain"), "héllo\n".as_bytes());
        assert_eq!(declared.check().unwrap().mime, "text/plain");
        let octet = upload(
            Some("a.m4a"),
            Some("application/octet-stream"),
            b"\0\0\0\x20ftypM4A ",
        );
        assert_eq!(octet.check().unwrap().mime, "audio/mp4");
    }

    #[test]
    fn a_file_that_is_not_what_it_says_is_refused() {
        let err = |u: Upload| u.check().unwrap_err().message;
        assert_eq!(
            err(upload(Some("logo.png"), None, b"MZ\x90\0 an executable")),
            "file: its content is not a image/png file"
        );
        assert_eq!(
            err(upload(Some("a.txt"), Some("image/jpeg"), PNG)),
            "file: its content is not a image/jpeg file"
        );
        assert!(err(upload(Some("a.exe"), None, b"MZ")).starts_with("file: neither"));
        assert!(
            err(upload(Some("a.png"), Some("text/html"), b"<p>"))
                .starts_with("file: text/html is not")
        );
        assert_eq!(err(upload(Some("a.png"), None, b"")), "file: empty");
        assert_eq!(
            err(upload(Some("a.txt"), None, b"a\0b")),
            "file: its content is not a text/plain file"
        );
    }

    #[test]
    fn each_type_has_its_size() {
        let mut big = PNG.to_vec();
        big.resize(MAX_IMAGE + 1, 0);
        let e = upload(Some("a.png"), None, &big).check().unwrap_err();
        assert_eq!(
            (e.kind, e.message.as_str()),
            (Kind::TooLarge, "file: a image/png file is at most 5 MiB")
        );
        let mut pdf = b"%PDF-".to_vec();
        pdf.resize(MAX_IMAGE + 1, b' ');
        assert!(upload(Some("a.pdf"), None, &pdf).check().is_ok());
        pdf.resize(MAX_FILE + 1, b' ');
        assert_eq!(
            upload(Some("a.pdf"), None, &pdf).check().unwrap_err().kind,
            Kind::TooLarge
        );
    }

    #[test]
    fn names_are_cleaned_and_bounded() {
        assert_eq!(original_name(Some("../../etc/pass\nwd.txt")), "passwd.txt");
        let long = format!("{}.pdf", "é".repeat(300));
        let kept = original_name(Some(&long));
        assert!(kept.len() <= MAX_FILE_NAME && kept.starts_with('é'));
        assert_eq!(original_name(None), "");
    }

    #[test]
    fn a_url_tells_its_type_by_its_name() {
        assert_eq!(
            mime_of_url("https://x.test/r/receipt.PDF?sig=1"),
            Some("application/pdf")
        );
        assert_eq!(mime_of_url("https://x.test/a.jpeg#top"), Some("image/jpeg"));
        assert_eq!(mime_of_url("https://x.test/blob"), None);
    }
}
