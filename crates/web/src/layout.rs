//! The page frame shared by every signed-in page, and the error page.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use safeguard_domain::accounts::{Permission, Role};

use crate::error::AppError;
use crate::session::{CsrfToken, CurrentUser};

/// What the frame of a page shows: the account, the navigation its role may use, the CSRF
/// token for forms, and a notice after a completed action.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The page title.
    pub title: String,
    /// The signed-in account's name, if any.
    pub user_name: Option<String>,
    /// The signed-in account's role, if any.
    pub role: Option<Role>,
    /// The CSRF token for the page's forms.
    pub csrf: String,
    /// A confirmation after a completed action.
    pub notice: Option<String>,
}

impl Layout {
    /// Creates the frame for a signed-in page.
    pub fn signed_in(title: impl Into<String>, user: &CurrentUser, csrf: &CsrfToken) -> Self {
        Self {
            title: title.into(),
            user_name: Some(user.user.display_name.clone()),
            role: Some(user.role()),
            csrf: csrf.0.clone(),
            notice: None,
        }
    }

    /// Creates the frame for a page shown before sign-in.
    pub fn anonymous(title: impl Into<String>, csrf: &CsrfToken) -> Self {
        Self {
            title: title.into(),
            user_name: None,
            role: None,
            csrf: csrf.0.clone(),
            notice: None,
        }
    }

    /// Adds the notice named by a `notice` query code, if known.
    pub fn with_notice(mut self, code: Option<&str>) -> Self {
        self.notice = code.and_then(notice_text).map(str::to_owned);
        self
    }

    /// Whether the navigation shows the links of `area`.
    pub fn shows(&self, area: &str) -> bool {
        let permission = match area {
            "program" => Permission::ViewProgram,
            "workforce" => Permission::ViewWorkforce,
            "ledger" => Permission::ViewLedger,
            "accounts" => Permission::ManageAccounts,
            "manage" => Permission::ManageProgram,
            "edit-workforce" => Permission::EditWorkforce,
            "complete" => Permission::CompleteObligations,
            "sanctions" => Permission::ViewSanctions,
            "record-sanctions" => Permission::RecordSanctions,
            _ => return false,
        };
        self.role.is_some_and(|role| role.allows(permission))
    }
}

fn notice_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "signed" => "Signed and recorded in the evidence ledger.",
        "saved" => "Saved and recorded in the evidence ledger.",
        "completed" => "Completed and recorded in the evidence ledger.",
        "imported" => "The roster was imported.",
        "password" => "Your password was changed; other sessions were signed out.",
        "invited" => "The invitation was created.",
        _ => return None,
    })
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    reason: &'a str,
    lines: Vec<&'a str>,
}

/// Renders the error page; if even that fails, a plain-text body.
pub fn error_page(status: StatusCode, message: &str) -> Response {
    let page = ErrorPage {
        status: status.as_u16(),
        reason: status.canonical_reason().unwrap_or("Error"),
        lines: message.lines().collect(),
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, message.to_owned()).into_response(),
    }
}

/// Renders a template into a 200 response.
pub fn render<T: Template>(template: &T) -> Result<Response, AppError> {
    Ok(Html(template.render()?).into_response())
}

/// Renders a template with a status other than 200, such as 422 for a form with errors.
pub fn render_with_status<T: Template>(status: StatusCode, template: &T) -> Result<Response, AppError> {
    Ok((status, Html(template.render()?)).into_response())
}
