//! Sign-in accounts and invitations, for the Security Official.
//!
//! An invitation link is shown once to the inviter, who passes it on; e-mail delivery comes
//! later. The link carries the token in its path, which the request span never records.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::SignedDuration;
use safeguard_domain::accounts::{Permission, Role};
use safeguard_domain::ids::{InvitationId, UserId};
use safeguard_domain::values::{EmailAddress, InvalidValue, Line};
use safeguard_store::accounts::{Invitation, User};
use serde::Deserialize;

use super::notice;
use crate::AppState;
use crate::auth::{new_token, token_hash};
use crate::error::AppError;
use crate::layout::{Layout, render, render_with_status};
use crate::session::{CsrfToken, CurrentUser};

const INVITATION_LIFETIME: SignedDuration = SignedDuration::from_hours(72);

#[derive(Template)]
#[template(path = "accounts.html")]
struct AccountsPage {
    layout: Layout,
    users: Vec<User>,
    invitations: Vec<Invitation>,
    roles: [Role; 4],
    new_link: Option<String>,
    errors: Vec<InvalidValue>,
}

pub(crate) async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageAccounts)?;
    let page = AccountsPage {
        layout: Layout::signed_in("Accounts", &user, &csrf).with_notice(notice(&query)),
        users: state.store.users().await?,
        invitations: state.store.open_invitations().await?,
        roles: Role::ALL,
        new_link: None,
        errors: Vec::new(),
    };
    render(&page)
}

#[derive(Deserialize)]
pub(crate) struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
}

pub(crate) async fn invite(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    headers: HeaderMap,
    Form(form): Form<InviteForm>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageAccounts)?;

    let mut errors = Vec::new();
    let email = EmailAddress::parse("email", &form.email).map_err(|error| errors.push(error)).ok();
    let name = Line::parse("name", &form.display_name).map_err(|error| errors.push(error)).ok();
    let role = form.role.parse::<Role>().map_err(|error| errors.push(error)).ok();

    let mut page = AccountsPage {
        layout: Layout::signed_in("Accounts", &user, &csrf),
        users: Vec::new(),
        invitations: Vec::new(),
        roles: Role::ALL,
        new_link: None,
        errors,
    };
    let (Some(email), Some(name), Some(role)) = (email, name, role) else {
        page.users = state.store.users().await?;
        page.invitations = state.store.open_invitations().await?;
        return render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };

    let token = new_token();
    state
        .store
        .create_invitation(&email, name.as_str(), role, user.id(), &token_hash(&token), INVITATION_LIFETIME)
        .await?;
    tracing::info!(user.id = %user.id(), role = role.code(), "invitation created");

    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if state.config.secure_cookies { "https" } else { "http" };
    page.new_link = Some(format!("{scheme}://{host}/invitations/{token}"));
    page.layout = page.layout.with_notice(Some("invited"));
    page.users = state.store.users().await?;
    page.invitations = state.store.open_invitations().await?;
    render(&page)
}

fn parse_user_id(text: &str) -> Result<UserId, AppError> {
    text.parse().map_err(|_| AppError::NotFound("account"))
}

/// Disables an account: it can no longer sign in and its sessions end at once.
pub(crate) async fn disable(State(state): State<AppState>, user: CurrentUser, Path(id): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::ManageAccounts)?;
    let target = parse_user_id(&id)?;

    state.store.set_account_disabled(user.id(), target, true).await?;
    tracing::info!(user.id = %user.id(), target.id = %target, "account disabled");
    Ok(Redirect::to("/accounts?notice=saved").into_response())
}

pub(crate) async fn enable(State(state): State<AppState>, user: CurrentUser, Path(id): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::ManageAccounts)?;
    let target = parse_user_id(&id)?;

    state.store.set_account_disabled(user.id(), target, false).await?;
    tracing::info!(user.id = %user.id(), target.id = %target, "account enabled");
    Ok(Redirect::to("/accounts?notice=saved").into_response())
}

#[derive(Deserialize)]
pub(crate) struct RoleForm {
    #[serde(default)]
    role: String,
}

/// Changes an account's role; its sessions end so the new role applies from the next sign-in.
pub(crate) async fn change_role(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<RoleForm>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageAccounts)?;
    let target = parse_user_id(&id)?;
    let role: Role = form.role.parse()?;

    state.store.change_role(user.id(), target, role).await?;
    tracing::info!(user.id = %user.id(), target.id = %target, role = role.code(), "account role changed");
    Ok(Redirect::to("/accounts?notice=saved").into_response())
}

pub(crate) async fn cancel_invitation(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageAccounts)?;
    let id: InvitationId = id.parse().map_err(|_| AppError::NotFound("open invitation"))?;

    state.store.cancel_invitation(user.id(), id).await?;
    tracing::info!(user.id = %user.id(), "invitation cancelled");
    Ok(Redirect::to("/accounts?notice=saved").into_response())
}
