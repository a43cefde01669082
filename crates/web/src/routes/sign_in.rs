//! First-run setup, sign-in, sign-out, invitations and password change.

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::SignedDuration;
use safeguard_domain::accounts::Permission;
use safeguard_domain::practice::{OfficeHours, PatientStates, PracticeProfile, PracticeTimeZone};
use safeguard_domain::values::{EmailAddress, InvalidValue, Line, NewPassword, Text};
use safeguard_store::practice::FirstAccount;
use secrecy::SecretString;
use serde::Deserialize;
use std::collections::HashMap;
use std::net::SocketAddr;

use crate::AppState;
use crate::auth::{hash_password, new_token, token_hash, verify_password};
use crate::error::AppError;
use crate::layout::{Layout, render, render_with_status};
use crate::session::{CsrfToken, CurrentUser, SESSION_COOKIE, SESSION_LIFETIME, append_cookie, cookie, cookie_header};

/// The one message for every failed sign-in, so it does not reveal which accounts exist.
const SIGN_IN_FAILED: &str = "Sign-in failed. Check the e-mail address and password and try again.";
const SIGN_IN_WINDOW: SignedDuration = SignedDuration::from_mins(15);
const MAX_FAILURES_PER_ACCOUNT: i64 = 10;
const MAX_FAILURES_PER_ADDRESS: i64 = 30;

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    layout: Layout,
    form: SetupForm,
    errors: Vec<InvalidValue>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct SetupForm {
    #[serde(default)]
    practice_name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    office_hours: String,
    #[serde(default)]
    patient_states: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    job_title: String,
    #[serde(default)]
    email: String,
    #[serde(default, skip_serializing)]
    password: String,
}

pub(crate) async fn setup_form(State(state): State<AppState>, Path(token): Path<String>, csrf: CsrfToken) -> Result<Response, AppError> {
    if !state.store.setup_token_is_valid(&token_hash(&token)).await? {
        return Err(AppError::NotFound("setup link (it was already used, or a newer one was printed)"));
    }
    let form = SetupForm {
        time_zone: "America/New_York".into(),
        office_hours: "Mon-Fri 08:00-17:00".into(),
        job_title: "Practice manager".into(),
        ..SetupForm::default()
    };
    render(&SetupPage {
        layout: Layout::anonymous("Set up your practice", &csrf),
        form,
        errors: Vec::new(),
    })
}

pub(crate) async fn setup(
    State(state): State<AppState>,
    Path(token): Path<String>,
    csrf: CsrfToken,
    Form(form): Form<SetupForm>,
) -> Result<Response, AppError> {
    let hash = token_hash(&token);
    if !state.store.setup_token_is_valid(&hash).await? {
        return Err(AppError::NotFound("setup link (it was already used, or a newer one was printed)"));
    }

    let mut errors = Vec::new();
    let name = Line::parse("practice name", &form.practice_name)
        .map_err(|error| errors.push(error))
        .ok();
    let address = Text::parse("address", &form.address).map_err(|error| errors.push(error)).ok();
    let time_zone = PracticeTimeZone::parse(&form.time_zone).map_err(|error| errors.push(error)).ok();
    let office_hours = OfficeHours::parse(&form.office_hours).map_err(|error| errors.push(error)).ok();
    let patient_states = PatientStates::parse(&form.patient_states).map_err(|error| errors.push(error)).ok();
    let person_name = Line::parse("your name", &form.name).map_err(|error| errors.push(error)).ok();
    let job_title = Line::parse("your job title", &form.job_title)
        .map_err(|error| errors.push(error))
        .ok();
    let email = EmailAddress::parse("email", &form.email).map_err(|error| errors.push(error)).ok();
    let password = NewPassword::parse("password", &form.password)
        .map_err(|error| errors.push(error))
        .ok();

    let (
        Some(name),
        Some(address),
        Some(time_zone),
        Some(office_hours),
        Some(patient_states),
        Some(person_name),
        Some(job_title),
        Some(email),
        Some(password),
    ) = (
        name,
        address,
        time_zone,
        office_hours,
        patient_states,
        person_name,
        job_title,
        email,
        password,
    )
    else {
        let page = SetupPage {
            layout: Layout::anonymous("Set up your practice", &csrf),
            form,
            errors,
        };
        return render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };

    let password_hash = hash_password(SecretString::from(password.expose().to_owned())).await?;
    let profile = PracticeProfile {
        name,
        address,
        time_zone,
        office_hours,
        patient_states,
    };
    let first = FirstAccount {
        name: person_name,
        job_title,
        email,
        password_hash,
    };
    let user_id = state.store.complete_setup(&hash, &profile, &first).await?;
    tracing::info!(user.id = %user_id, "practice set up");

    // The calendar's first instances are created now rather than at the job's next run, so
    // this period's work is on the new Security Official's dashboard at once.
    crate::jobs::advance_calendar(&state).await?;

    start_session(&state, user_id, None).await
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    email: String,
    error: Option<&'static str>,
}

pub(crate) async fn login_form(csrf: CsrfToken, user: Option<CurrentUser>) -> Result<Response, AppError> {
    if user.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    render(&LoginPage {
        layout: Layout::anonymous("Sign in", &csrf),
        email: String::new(),
        error: None,
    })
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub(crate) async fn login(
    State(state): State<AppState>,
    connection: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    csrf: CsrfToken,
    headers: axum::http::HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let address = connection.map_or_else(
        || "unknown".to_owned(),
        |axum::Extension(ConnectInfo(address))| address.ip().to_string(),
    );
    let failed = |email: String| {
        render_with_status(
            StatusCode::UNAUTHORIZED,
            &LoginPage {
                layout: Layout::anonymous("Sign in", &csrf),
                email,
                error: Some(SIGN_IN_FAILED),
            },
        )
    };

    // Failed attempts count per address and per account name, so neither one address guessing
    // many accounts nor many addresses guessing one account gets unlimited tries. Only failures
    // count, so a person who types the right password is never held back by their own sign-ins.
    let throttle_keys = [
        format!("address:{address}"),
        format!("account:{}", token_hash(&form.email.trim().to_lowercase())),
    ];
    let by_address = state.store.failed_sign_ins(&throttle_keys[0], SIGN_IN_WINDOW).await?;
    let by_account = state.store.failed_sign_ins(&throttle_keys[1], SIGN_IN_WINDOW).await?;
    if by_address >= MAX_FAILURES_PER_ADDRESS || by_account >= MAX_FAILURES_PER_ACCOUNT {
        tracing::warn!(by_address, by_account, "sign-in throttled");
        return Err(AppError::TooManyAttempts);
    }

    let credentials = match EmailAddress::parse("email", &form.email) {
        Ok(email) => state.store.credentials(&email).await?,
        Err(_) => None,
    };
    let stored_hash = credentials.as_ref().map(|credentials| credentials.password_hash.clone());
    let verified = verify_password(SecretString::from(form.password), stored_hash).await?;
    let Some(credentials) = credentials.filter(|_| verified) else {
        tracing::info!("sign-in failed");
        state.store.record_failed_sign_in(&throttle_keys, SIGN_IN_WINDOW).await?;
        return failed(form.email);
    };

    tracing::info!(user.id = %credentials.user.id, "signed in");
    let previous = cookie(&headers, SESSION_COOKIE).map(|token| token_hash(&token));
    start_session(&state, credentials.user.id, previous.as_deref()).await
}

/// Creates a new session (replacing `previous`), sets its cookie and goes home.
///
/// The cookie has no `Max-Age`, so closing the browser ends it on a shared front-desk
/// computer; the database still ends the session after its absolute and idle limits.
async fn start_session(state: &AppState, user_id: safeguard_domain::ids::UserId, previous: Option<&str>) -> Result<Response, AppError> {
    let token = new_token();
    state
        .store
        .create_session(user_id, &token_hash(&token), &new_token(), SESSION_LIFETIME, previous)
        .await?;

    let mut response = Redirect::to("/").into_response();
    append_cookie(
        &mut response,
        &cookie_header(SESSION_COOKIE, &token, None, state.config.secure_cookies),
    );
    Ok(response)
}

pub(crate) async fn logout(State(state): State<AppState>, user: Option<CurrentUser>) -> Result<Response, AppError> {
    if let Some(user) = user {
        state.store.delete_session(&user.session_hash).await?;
        tracing::info!(user.id = %user.id(), "signed out");
    }
    let mut response = Redirect::to("/login").into_response();
    append_cookie(
        &mut response,
        &cookie_header(SESSION_COOKIE, "", Some(0), state.config.secure_cookies),
    );
    Ok(response)
}

#[derive(Template)]
#[template(path = "invitation.html")]
struct InvitationPage {
    layout: Layout,
    email: String,
    display_name: String,
    role: &'static str,
    errors: Vec<InvalidValue>,
}

pub(crate) async fn invitation_form(
    State(state): State<AppState>,
    Path(token): Path<String>,
    csrf: CsrfToken,
) -> Result<Response, AppError> {
    let invitation = state
        .store
        .invitation(&token_hash(&token))
        .await?
        .ok_or(AppError::NotFound("invitation (it was used or has expired)"))?;
    render(&InvitationPage {
        layout: Layout::anonymous("Accept invitation", &csrf),
        email: invitation.email,
        display_name: invitation.display_name,
        role: invitation.role.label(),
        errors: Vec::new(),
    })
}

#[derive(Deserialize)]
pub(crate) struct PasswordPair {
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_again: String,
}

pub(crate) async fn accept_invitation(
    State(state): State<AppState>,
    Path(token): Path<String>,
    csrf: CsrfToken,
    Form(form): Form<PasswordPair>,
) -> Result<Response, AppError> {
    let hash = token_hash(&token);
    let invitation = state
        .store
        .invitation(&hash)
        .await?
        .ok_or(AppError::NotFound("invitation (it was used or has expired)"))?;

    let password = match new_password(&form.password, &form.password_again) {
        Ok(password) => password,
        Err(errors) => {
            let page = InvitationPage {
                layout: Layout::anonymous("Accept invitation", &csrf),
                email: invitation.email,
                display_name: invitation.display_name,
                role: invitation.role.label(),
                errors,
            };
            return render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let password_hash = hash_password(SecretString::from(password.expose().to_owned())).await?;
    let user_id = state.store.accept_invitation(&hash, &password_hash).await?;
    tracing::info!(user.id = %user_id, "invitation accepted");

    start_session(&state, user_id, None).await
}

fn new_password(password: &str, again: &str) -> Result<NewPassword, Vec<InvalidValue>> {
    let password = NewPassword::parse("new password", password).map_err(|error| vec![error])?;
    if password.expose() != again {
        return Err(vec![InvalidValue::new("repeat new password", "does not match the new password")]);
    }
    Ok(password)
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    layout: Layout,
    errors: Vec<InvalidValue>,
}

pub(crate) async fn password_form(
    user: CurrentUser,
    csrf: CsrfToken,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    user.require(Permission::SignedIn)?;
    render(&PasswordPage {
        layout: Layout::signed_in("Change password", &user, &csrf).with_notice(super::notice(&query)),
        errors: Vec::new(),
    })
}

#[derive(Deserialize)]
pub(crate) struct ChangePasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(flatten)]
    new: PasswordPair,
}

pub(crate) async fn change_password(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Form(form): Form<ChangePasswordForm>,
) -> Result<Response, AppError> {
    user.require(Permission::SignedIn)?;

    let stored = state.store.password_hash(user.id()).await?;
    let mut errors = Vec::new();
    if !verify_password(SecretString::from(form.current_password), Some(stored)).await? {
        errors.push(InvalidValue::new("current password", "is not correct"));
    }
    let password = new_password(&form.new.password, &form.new.password_again)
        .map_err(|mut found| errors.append(&mut found))
        .ok();
    let Some(password) = password.filter(|_| errors.is_empty()) else {
        return render_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &PasswordPage {
                layout: Layout::signed_in("Change password", &user, &csrf),
                errors,
            },
        );
    };

    let hash = hash_password(SecretString::from(password.expose().to_owned())).await?;
    state.store.change_password(user.id(), &hash, &user.session_hash).await?;
    Ok(Redirect::to("/account/password?notice=password").into_response())
}
