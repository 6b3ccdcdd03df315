//! Evidence files: screenshots, log excerpts, captures attached to detections,
//! containments, red actions, findings and reports (by id, in `evidence_ids`).
//!
//! Upload (`POST …/evidence`, multipart field `file`, at most [`MAX_EVIDENCE_BYTES`]):
//! the body is streamed to a temporary file while it is hashed; reading stops as soon
//! as the file is over the limit (413), and a declared `Content-Length` over it is
//! refused before reading. The type is sniffed from the bytes: a file whose declared
//! type or extension says it is an image but whose bytes are not (an HTML page named
//! `x.png`) is refused with 422 on `file`. The file is synced and waits in the
//! temporary directory ([`StagedFile`]) until the request is found valid; then it is
//! renamed to its SHA-256 (content-addressed, so the same bytes are stored once) and
//! the directory synced, and only then is the row committed with its
//! `evidence_uploaded` event. A refused upload leaves nothing behind.
//!
//! Download (`GET …/evidence/{evidence_id}`) only for those who see the uploader's
//! records (the uploader's team, the red side for red uploads, staff), always as an
//! attachment with `X-Content-Type-Options: nosniff` and `Content-Security-Policy:
//! sandbox`; sniffed PNG, JPEG, GIF and WebP are served as themselves, everything else
//! as `application/octet-stream`, so no upload is ever rendered as a page.

use std::path::{Path, PathBuf};

use axum::Json;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::CurrentUser;
use crate::domain::drill::Visibility;
use crate::domain::{FieldErrors, Role, Side};
use crate::error::{AppError, AppResult, ErrorEnvelope};
use crate::http::extract::ApiPath;
use crate::state::AppState;
use crate::store::drills;
use crate::store::records::{self, Evidence, NewEvidence, RecordError};

/// The largest evidence file: 20 MB.
pub const MAX_EVIDENCE_BYTES: usize = 20 * 1024 * 1024;
/// The request may carry the file plus the multipart framing.
const EVIDENCE_BODY_LIMIT: usize = MAX_EVIDENCE_BYTES + 64 * 1024;
/// Bytes kept for sniffing the type.
const SNIFF_BYTES: usize = 8 * 1024;
/// Image types served as themselves; everything else is an opaque download.
const SAFE_IMAGES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload_evidence))
        .layer(DefaultBodyLimit::max(EVIDENCE_BODY_LIMIT))
        .routes(routes!(download_evidence))
}

/// The upload form: one `file` part.
#[derive(Debug, ToSchema)]
#[expect(dead_code, reason = "documents the multipart body for OpenAPI")]
pub struct EvidenceUpload {
    #[schema(value_type = String, format = Binary)]
    pub(crate) file: Vec<u8>,
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::PayloadTooLarge
    } else {
        AppError::BadRequest(format!("malformed multipart body: {}", e.body_text()))
    }
}

/// What the uploader's team sees, and the team, for the evidence's audience.
fn uploader_audience(
    me: &CurrentUser,
    teams: &[(Uuid, Side)],
) -> AppResult<(Option<Uuid>, String)> {
    match me.role() {
        Role::Responder => match teams.first() {
            Some((t, Side::Blue)) => Ok((Some(*t), format!("team:{t}"))),
            Some((t, Side::Red)) => Ok((Some(*t), "red".to_owned())),
            None => Err(AppError::Forbidden),
        },
        Role::Admin | Role::Controller | Role::Evaluator => Ok((None, "controllers".to_owned())),
        Role::Observer => Err(AppError::Forbidden),
    }
}

/// A file name safe to show and to put in a header: the last path segment, without
/// control characters, at most 255 characters.
fn clean_filename(name: Option<&str>) -> String {
    let base = name
        .unwrap_or_default()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(255)
        .collect();
    let cleaned = cleaned.trim().to_owned();
    if cleaned.is_empty() {
        "evidence".to_owned()
    } else {
        cleaned
    }
}

/// The image type a name's extension claims, if any.
fn claimed_image(filename: &str, declared: Option<&str>) -> Option<String> {
    let ext = filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase());
    let by_ext = match ext.as_deref() {
        Some("png") => Some("image/png"),
        Some("jpg" | "jpeg") => Some("image/jpeg"),
        Some("gif") => Some("image/gif"),
        Some("webp") => Some("image/webp"),
        Some("bmp") => Some("image/bmp"),
        Some("svg") => Some("image/svg+xml"),
        _ => None,
    };
    let declared = declared
        .map(|d| {
            d.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|d| d.starts_with("image/"));
    declared.or(by_ext.map(str::to_owned))
}

/// The type sniffed from the first bytes (`None` when unknown).
fn sniff(head: &[u8]) -> Option<&'static str> {
    infer::get(head).map(|t| t.mime_type())
}

/// Refuses a file whose name or declared type says image and whose bytes do not.
pub fn check_claim(
    filename: &str,
    declared: Option<&str>,
    head: &[u8],
) -> Result<String, FieldErrors> {
    let sniffed = sniff(head);
    if let Some(claimed) = claimed_image(filename, declared)
        && !sniffed.is_some_and(|s| s.starts_with("image/") && claimed != "image/svg+xml")
    {
        return Err(FieldErrors::single(
            "file",
            "type_mismatch",
            format!(
                "the file says it is {claimed} but its content is {}",
                sniffed.unwrap_or("not an image")
            ),
        ));
    }
    Ok(sniffed.unwrap_or("application/octet-stream").to_owned())
}

fn stored_path(dir: &Path, sha256: &str) -> PathBuf {
    dir.join(&sha256[..2]).join(sha256)
}

/// A temporary file that is removed unless it was renamed into place.
struct Partial {
    path: PathBuf,
    kept: bool,
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn io_error(e: std::io::Error) -> AppError {
    AppError::Internal(anyhow::Error::new(e).context("storing an evidence file"))
}

/// A file received, synced and stored under its hash.
pub(crate) struct ReceivedFile {
    pub sha256: String,
    pub size: i64,
    /// Sniffed from the bytes.
    pub content_type: String,
    pub filename: String,
}

/// A file received and synced, waiting in the temporary directory until the request
/// is found valid: [`StagedFile::store`] moves it under its hash; dropped, it is
/// removed. So a refused upload leaves nothing behind, and a stored file is never
/// deleted (it may be the same bytes as another upload's).
pub(crate) struct StagedFile {
    partial: Partial,
    target: PathBuf,
    file: ReceivedFile,
}

impl StagedFile {
    /// Moves the file under its hash, durably.
    pub async fn store(mut self) -> AppResult<ReceivedFile> {
        let mut new_dir = false;
        if let Some(parent) = self.target.parent() {
            new_dir = !tokio::fs::try_exists(parent).await.unwrap_or(false);
            tokio::fs::create_dir_all(parent).await.map_err(io_error)?;
        }
        tokio::fs::rename(&self.partial.path, &self.target)
            .await
            .map_err(io_error)?;
        self.partial.kept = true;
        // The rename is durable once its directory is synced, and a directory just
        // made once its own parent is.
        if let Some(parent) = self.target.parent() {
            let mut dirs = vec![parent.to_owned()];
            if new_dir && let Some(grandparent) = parent.parent() {
                dirs.push(grandparent.to_owned());
            }
            tokio::task::spawn_blocking(move || {
                dirs.iter()
                    .try_for_each(|dir| std::fs::File::open(dir)?.sync_all())
            })
            .await
            .map_err(|e| AppError::Internal(e.into()))?
            .map_err(io_error)?;
        }
        Ok(self.file)
    }
}

/// The longest text part kept beside the file (`parameter`…).
const MAX_TEXT_PART: usize = 1024;

/// Streams the `file` part to a temporary file in `dir`, to be stored under its hash
/// once the request is found valid; the other parts, short texts, are returned by
/// name in any order.
pub(crate) async fn receive(
    dir: &Path,
    mut multipart: Multipart,
) -> AppResult<(StagedFile, std::collections::BTreeMap<String, String>)> {
    let mut texts = std::collections::BTreeMap::new();
    let mut received = None;
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        match field.name().map(str::to_owned) {
            Some(name) if name == "file" && received.is_none() => {
                received = Some(receive_file(dir, field).await?);
            }
            Some(name) if name != "file" => {
                let text = field.text().await.map_err(multipart_error)?;
                if text.len() > MAX_TEXT_PART {
                    return Err(AppError::field(&name, "too_long", "at most 1024 bytes"));
                }
                texts.insert(name, text);
            }
            _ => {}
        }
    }
    let file = received.ok_or_else(|| {
        AppError::field(
            "file",
            "required",
            "attach the file as the multipart part `file`",
        )
    })?;
    Ok((file, texts))
}

async fn receive_file(
    dir: &Path,
    mut field: axum::extract::multipart::Field<'_>,
) -> AppResult<StagedFile> {
    let tmp_dir = dir.join("tmp");
    tokio::fs::create_dir_all(&tmp_dir)
        .await
        .map_err(io_error)?;
    let filename = clean_filename(field.file_name());
    let declared = field.content_type().map(str::to_owned);
    let partial = Partial {
        path: tmp_dir.join(format!("{}.part", Uuid::now_v7())),
        kept: false,
    };
    let mut file = tokio::fs::File::create(&partial.path)
        .await
        .map_err(io_error)?;
    let mut hasher = Sha256::new();
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    let mut size = 0usize;
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        size += chunk.len();
        // Stop reading as soon as the file is too large: the rest is never read.
        if size > MAX_EVIDENCE_BYTES {
            return Err(AppError::PayloadTooLarge);
        }
        if head.len() < SNIFF_BYTES {
            let take = (SNIFF_BYTES - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..take]);
        }
        hasher.update(&chunk);
        file.write_all(&chunk).await.map_err(io_error)?;
    }
    if size == 0 {
        return Err(AppError::field("file", "required", "the file is empty"));
    }
    let content_type = check_claim(&filename, declared.as_deref(), &head)?;
    file.sync_all().await.map_err(io_error)?;
    drop(file);
    let sha256 = hex::encode(hasher.finalize());
    let target = stored_path(dir, &sha256);
    let size = i64::try_from(size).map_err(|e| AppError::Internal(e.into()))?;
    Ok(StagedFile {
        partial,
        target,
        file: ReceivedFile {
            sha256,
            size,
            content_type,
            filename,
        },
    })
}

/// Removes temporary upload files (`EVIDENCE_DIR/tmp/*.part`) last written more than
/// `older_than` ago: uploads a crash cut off. Stored files are never touched.
pub async fn remove_stale_uploads(dir: PathBuf, older_than: std::time::Duration) {
    let tmp = dir.join("tmp");
    let Ok(mut entries) = tokio::fs::read_dir(&tmp).await else {
        return; // no upload yet
    };
    let mut removed = 0;
    while let Ok(Some(entry)) = entries.next_entry().await {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "part") {
            continue;
        }
        let stale = entry
            .metadata()
            .await
            .and_then(|m| m.modified())
            .is_ok_and(|at| at.elapsed().is_ok_and(|age| age > older_than));
        if stale && tokio::fs::remove_file(&path).await.is_ok() {
            removed += 1;
        }
    }
    if removed > 0 {
        tracing::info!(removed, dir = %tmp.display(), "removed uploads cut off by a crash");
    }
}

/// Refuses a body declared larger than an upload may be, before reading it.
pub(crate) fn check_declared_length(headers: &HeaderMap) -> AppResult<()> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > EVIDENCE_BODY_LIMIT as u64) {
        return Err(AppError::PayloadTooLarge);
    }
    Ok(())
}

/// The request body as multipart, or 400.
pub(crate) async fn multipart_of(req: Request, state: &AppState) -> AppResult<Multipart> {
    Multipart::from_request(req, state).await.map_err(|e| {
        AppError::BadRequest(format!(
            "expected a multipart/form-data body: {}",
            e.body_text()
        ))
    })
}

/// A stored file as a download: always an attachment, `nosniff`, `sandbox`, and only
/// the safe image types served as themselves.
pub(crate) async fn file_response(
    dir: &Path,
    sha256: &str,
    content_type: &str,
    size: i64,
    filename: &str,
) -> AppResult<Response> {
    let path = stored_path(dir, sha256);
    let file = tokio::fs::File::open(&path).await.map_err(io_error)?;
    let content_type = if SAFE_IMAGES.contains(&content_type) {
        content_type.to_owned()
    } else {
        "application/octet-stream".to_owned()
    };
    let mut headers = HeaderMap::new();
    let value = |s: &str| HeaderValue::from_str(s).map_err(|e| AppError::Internal(e.into()));
    headers.insert(header::CONTENT_TYPE, value(&content_type)?);
    headers.insert(header::CONTENT_LENGTH, value(&size.to_string())?);
    headers.insert(
        header::CONTENT_DISPOSITION,
        value(&content_disposition(filename))?,
    );
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(file));
    Ok((headers, body).into_response())
}

/// Uploads an evidence file (multipart part `file`, ≤ 20 MB). 201 with `id`,
/// `sha256`, `size`, `content_type` (sniffed) and `filename`; reference it by `id` in
/// `evidence_ids`. 413 over 20 MB; 422 on `file` when an image name or type hides
/// something else. Responders of a team of the drill, controllers and evaluators;
/// while the drill is running or paused.
#[utoipa::path(post, path = "/api/v1/drills/{id}/evidence", tag = "records", params(("id" = Uuid, Path)),
    request_body(content = EvidenceUpload, content_type = "multipart/form-data"),
    responses((status = 201, body = Evidence), (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope),
        (status = 409, body = ErrorEnvelope), (status = 413, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn upload_evidence(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    req: Request,
) -> AppResult<(StatusCode, Json<Evidence>)> {
    // 404 before anything is read.
    drills::get(&state.db, &me.scope, id).await?;
    let teams = match me.role() {
        Role::Responder => drills::teams_of_user(&state.db, id, me.user.id).await?,
        _ => Vec::new(),
    };
    let (team_id, audience) = uploader_audience(&me, &teams)?;
    check_declared_length(req.headers())?;
    let multipart = multipart_of(req, &state).await?;
    let (staged, _) = receive(&state.config.evidence_dir, multipart).await?;
    // The drill's state is checked again when the file is recorded; checking it now,
    // once the (possibly long) upload is in, keeps a refused upload from storing its
    // file.
    let drill = drills::get(&state.db, &me.scope, id).await?;
    if !drill.status.is_live() {
        return Err(AppError::Conflict {
            message: format!(
                "the drill is {}: submissions are accepted only while it is running or paused",
                drill.status.code()
            ),
            fields: FieldErrors::single("status", "conflict", "not accepted in this drill state"),
        });
    }
    let file = staged.store().await?;
    let evidence = records::add_evidence(
        &state.db,
        id,
        &NewEvidence {
            uploader_id: me.user.id,
            team_id,
            audience,
            sha256: file.sha256,
            size: file.size,
            content_type: file.content_type,
            filename: file.filename,
        },
        Utc::now(),
    )
    .await
    .map_err(|e| match e {
        RecordError::Closed(message) => AppError::Conflict {
            message,
            fields: FieldErrors::single("status", "conflict", "not accepted in this drill state"),
        },
        RecordError::Invalid(f) => AppError::Validation(f),
        RecordError::NotReleased { .. } => AppError::Internal(anyhow::anyhow!("unexpected")),
        RecordError::Store(e) => e.into(),
    })?;
    state.hub.notify(id);
    Ok((StatusCode::CREATED, Json(evidence)))
}

/// Downloads an evidence file, as an attachment, to those who may see it (else 404).
#[utoipa::path(get, path = "/api/v1/drills/{id}/evidence/{evidence_id}", tag = "records",
    params(("id" = Uuid, Path), ("evidence_id" = Uuid, Path)),
    responses((status = 200, description = "the file", content_type = "application/octet-stream"),
        (status = 404, body = ErrorEnvelope)))]
pub async fn download_evidence(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath((id, evidence_id)): ApiPath<(Uuid, Uuid)>,
) -> AppResult<Response> {
    drills::get(&state.db, &me.scope, id).await?;
    let teams = match me.role() {
        Role::Responder => drills::teams_of_user(&state.db, id, me.user.id).await?,
        _ => Vec::new(),
    };
    let visibility = Visibility::of(me.role(), &teams);
    let row = records::evidence(&state.db, id, evidence_id)
        .await?
        .filter(|e| visibility.allows(&e.audience))
        .ok_or(AppError::NotFound)?;
    file_response(
        &state.config.evidence_dir,
        &row.sha256,
        &row.content_type,
        row.size,
        &row.filename,
    )
    .await
}

/// `attachment` with an ASCII fallback name and the UTF-8 name (RFC 6266 / 5987).
fn content_disposition(filename: &str) -> String {
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .filter(|c| *c != '\\' && *c != ';')
        .collect();
    let encoded: String = filename
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] =
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

    #[test]
    fn an_html_page_named_png_is_refused_and_a_real_png_is_kept() {
        assert_eq!(
            check_claim("shot.png", Some("image/png"), PNG).unwrap(),
            "image/png"
        );
        let html = b"<!doctype html><script>alert(1)</script>";
        let e = check_claim("shot.png", None, html).unwrap_err();
        assert_eq!(e.get("file").unwrap().code, "type_mismatch");
        assert!(
            check_claim("log.txt", Some("image/png"), html).is_err(),
            "the declared type counts"
        );
        assert_eq!(
            check_claim("page.html", Some("text/html"), html).unwrap(),
            "text/html",
            "not claiming to be an image: kept (and served as a download)"
        );
    }

    #[tokio::test]
    async fn only_stale_temporary_uploads_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let tmp = dir.path().join("tmp");
        std::fs::create_dir_all(&tmp).unwrap();
        let stored = dir.path().join("ab").join("ab12");
        std::fs::create_dir_all(stored.parent().unwrap()).unwrap();
        for path in [
            tmp.join("cut-off.part"),
            tmp.join("notes.txt"),
            stored.clone(),
        ] {
            std::fs::write(&path, b"x").unwrap();
        }
        // Nothing is older than an hour yet.
        remove_stale_uploads(dir.path().to_owned(), std::time::Duration::from_secs(3600)).await;
        assert!(tmp.join("cut-off.part").exists());
        std::thread::sleep(std::time::Duration::from_millis(20));
        remove_stale_uploads(dir.path().to_owned(), std::time::Duration::from_millis(10)).await;
        assert!(!tmp.join("cut-off.part").exists());
        assert!(tmp.join("notes.txt").exists(), "only .part files");
        assert!(stored.exists(), "stored files are never touched");
    }

    #[test]
    fn file_names_lose_paths_quotes_and_control_characters() {
        assert_eq!(clean_filename(Some("../../etc/pa\"ss\nwd")), "passwd");
        assert_eq!(
            clean_filename(Some("C:\\Users\\a\\ảnh chụp.png")),
            "ảnh chụp.png"
        );
        assert_eq!(clean_filename(None), "evidence");
        assert_eq!(
            content_disposition("ảnh.png"),
            "attachment; filename=\"_nh.png\"; filename*=UTF-8''%E1%BA%A3nh.png"
        );
    }
}
