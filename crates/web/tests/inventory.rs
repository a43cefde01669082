//! In-process HTTP tests of the ePHI inventory pages and forms, each on a fresh SQLite
//! database and, with `SAFEGUARD_TEST_POSTGRES_URL` set and ignored tests included, on
//! PostgreSQL.

#[macro_use]
mod common;

use axum::http::{StatusCode, header};
use common::{Client, TestApp};
use safeguard_domain::accounts::Role;
use safeguard_store::Backend;

const HEADER: &str = "name,kind,owner,location,ephi,ephi_handling,record_count,encryption_at_rest,encryption_in_transit,sign_in,backup,criticality,vendor,retired_on,retired_reason\n";

/// Submits the add-asset form with `name` and `kind` and every other field valid.
async fn add_asset(client: &mut Client<'_>, name: &str, kind: &str) -> common::Page {
    let form = client.get("/inventory/new").await;
    assert_eq!(form.status, StatusCode::OK);
    client
        .post_form(
            "/inventory",
            &[
                ("csrf_token", &form.csrf()),
                ("name", name),
                ("kind", kind),
                ("owner", "Dana Reyes"),
                ("location", "Front desk"),
                ("ephi", "Schedules & charts"),
                ("stores", "1"),
                ("transmits", "1"),
                ("record_count", "4,000"),
                ("encryption_at_rest", "yes"),
                ("encryption_in_transit", "no"),
                ("sign_in", "password"),
                ("backup", "yes"),
                ("criticality", "high"),
                ("vendor", "Acme IT"),
            ],
        )
        .await
}

fn asset_id(location: &str) -> String {
    location.trim_start_matches("/inventory/").split('?').next().unwrap().to_owned()
}

async fn add_asset_adds_and_opens_update_body(app: &TestApp) {
    let mut official = app.set_up().await;

    let empty = official.get("/inventory").await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(empty.body.contains("no assets in service yet"));

    let form = official.get("/inventory/new").await;
    let bad = official
        .post_form(
            "/inventory",
            &[
                ("csrf_token", &form.csrf()),
                ("name", "Fax"),
                ("kind", "fax machine"),
                ("record_count", "lots"),
                ("encryption_at_rest", "yes"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in [
        "kind",
        "owner",
        "location",
        "ePHI",
        "ePHI handling",
        "record count",
        "encryption in transit",
        "sign-in",
        "backup",
        "criticality",
    ] {
        assert!(bad.body.contains(&format!("<strong>{field}</strong>")), "error for {field} missing");
    }
    assert!(bad.body.contains("value=\"Fax\""), "the form keeps what was typed");
    assert!(app.store.assets().await.unwrap().is_empty(), "nothing is written on bad input");

    let created = add_asset(&mut official, "Front desk PC", "workstation").await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    assert!(created.location().contains("notice=added"));
    let page = official.get(created.location()).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Front desk PC"));
    assert!(page.body.contains("Schedules &#38; charts"), "{}", page.body);
    assert!(page.body.contains("<td>4000</td>"), "the record count is read without separators");
    assert!(page.body.contains("/calendar/items/"), "the page links to the risk-analysis update");

    let calendar = official.get("/calendar").await;
    assert!(calendar.body.contains("Update the risk analysis for new assets"));
    assert!(calendar.body.contains("2027-01-03"), "due 30 days after the asset was added");

    let duplicate = add_asset(&mut official, "front desk pc", "workstation").await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT);
    assert!(duplicate.body.contains("already named"));
}
on_both!(add_asset_adds_and_opens_update, add_asset_adds_and_opens_update_body);

async fn edit_and_retire_keep_asset_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let created = add_asset(&mut official, "Laptop 3", "laptop").await;
    let id = asset_id(created.location());
    let path = format!("/inventory/{id}");

    let page = official.get(&path).await;
    let bad = official
        .post_form(&path, &[("csrf_token", &page.csrf()), ("name", ""), ("kind", "laptop")])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("<strong>name</strong>"));

    let edited = official
        .post_form(
            &path,
            &[
                ("csrf_token", &page.csrf()),
                ("name", "Laptop 3 (Dr. Kim)"),
                ("kind", "laptop"),
                ("owner", "Dr. Kim"),
                ("location", "Exam room 2"),
                ("ephi", "Visit notes"),
                ("processes", "1"),
                ("encryption_at_rest", "no"),
                ("encryption_in_transit", "not_applicable"),
                ("sign_in", "password"),
                ("backup", "no"),
                ("criticality", "medium"),
            ],
        )
        .await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.body);
    assert!(official.get(&path).await.body.contains("Laptop 3 (Dr. Kim)"));

    let retire_path = format!("{path}/retire");
    let future = official
        .post_form(
            &retire_path,
            &[("csrf_token", &page.csrf()), ("retired_on", "2026-12-05"), ("reason", "Stolen")],
        )
        .await;
    assert_eq!(future.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(future.body.contains("<strong>retired on</strong>"));
    let missing = official.post_form(&retire_path, &[("csrf_token", &page.csrf())]).await;
    assert!(missing.body.contains("<strong>reason</strong>"));

    let retired = official
        .post_form(
            &retire_path,
            &[
                ("csrf_token", &page.csrf()),
                ("retired_on", "2026-12-01"),
                ("reason", "Stolen from car; encrypted? no, reported as an incident"),
            ],
        )
        .await;
    assert_eq!(retired.status, StatusCode::SEE_OTHER, "{}", retired.body);
    let shown = official.get(&path).await;
    assert!(shown.body.contains("retired 2026-12-01"));
    assert!(shown.body.contains("Stolen from car"));
    assert!(
        !shown.body.contains("Retire this asset"),
        "a retired asset has no edit or retire form"
    );

    let list = official.get("/inventory").await;
    let retired_section = list.body.split("id=\"retired\"").nth(1).expect("retired section");
    assert!(retired_section.contains("Laptop 3 (Dr. Kim)"));
    assert_eq!(app.store.assets().await.unwrap().len(), 1, "retiring keeps the asset");

    let again = official
        .post_form(
            &retire_path,
            &[("csrf_token", &page.csrf()), ("retired_on", "2026-12-02"), ("reason", "Again")],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
}
on_both!(edit_and_retire_keep_asset, edit_and_retire_keep_asset_body);

async fn flows_draw_escaped_map_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let created = add_asset(&mut official, "<script>alert('ehr')</script>", "ehr").await;
    let id = asset_id(created.location());

    let page = official.get("/inventory").await;
    let bad = official
        .post_form("/inventory/flows", &[("csrf_token", &page.csrf()), ("from_asset", &id)])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["to", "data", "transport", "encryption"] {
        assert!(bad.body.contains(&format!("<strong>{field}</strong>")), "error for {field} missing");
    }

    let added = official
        .post_form(
            "/inventory/flows",
            &[
                ("csrf_token", &page.csrf()),
                ("from_asset", &id),
                ("to_party", "Labs <b>& Co</b>"),
                ("data", "Orders"),
                ("transport", "HL7 over VPN"),
                ("encryption", "no"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);

    let list = official.get("/inventory").await;
    let map = list
        .body
        .split("<figure id=\"flow-map\">")
        .nth(1)
        .and_then(|rest| rest.split("</figure>").next())
        .expect("the map is embedded in the page");
    assert!(map.starts_with("<svg"));
    assert!(map.contains("marker-end="), "the flow is drawn");
    assert!(map.contains("Orders · HL7 over VPN · Not encrypted"));
    assert!(map.contains("&lt;script&gt;alert(&#39;ehr&#39;)&lt;/script&gt;"));
    assert!(map.contains("Labs &lt;b&gt;&amp; Co&lt;/b&gt;"));
    assert!(!list.body.contains("<script>"), "no label is markup");
    assert!(!list.body.contains("<b>"));

    let flow = app.store.data_flows().await.unwrap()[0].id.to_string();
    let ended = official
        .post_form(&format!("/inventory/flows/{flow}/end"), &[("csrf_token", &page.csrf())])
        .await;
    assert_eq!(ended.status, StatusCode::SEE_OTHER);
    let list = official.get("/inventory").await;
    assert!(
        !list.body.contains("marker-end=\"url(#flow-arrow)\"/><text"),
        "ended flows leave the map"
    );
    assert!(list.body.contains("id=\"ended-flows\""));
}
on_both!(flows_draw_escaped_map, flows_draw_escaped_map_body);

async fn import_previews_and_is_all_or_nothing_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let form = official.get("/inventory/import").await;
    assert_eq!(form.status, StatusCode::OK);

    let bad_file = format!(
        "{HEADER}EHR,ehr,Dana,Cloud,Charts,store;process,12000,yes,yes,mfa,not_applicable,high,,,\n\
         Fax,fax,Dana,Front desk,Referrals,transmit,,no,no,none,no,medium,,,\n\
         ehr,ehr,Dana,Cloud,Charts,store,,yes,yes,mfa,yes,high,,,\n"
    );
    let preview = official
        .post_multipart(
            "/inventory/import",
            &[("csrf_token", &form.csrf())],
            &[("file", "inventory.csv", bad_file.as_bytes())],
        )
        .await;
    assert_eq!(preview.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(preview.body.contains("1 of 3 rows are valid"));
    assert!(preview.body.contains("<strong>kind</strong>"), "line 3 names its field");
    assert!(
        preview.body.contains("already used by an earlier row"),
        "line 4 names the duplicate"
    );
    assert!(
        !preview.body.contains("/inventory/import/commit"),
        "no import while a row has errors"
    );

    let forced = official
        .post_form("/inventory/import/commit", &[("csrf_token", &form.csrf()), ("csv_text", &bad_file)])
        .await;
    assert_eq!(forced.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(forced.body.contains("line 3"));
    assert!(
        app.store.assets().await.unwrap().is_empty(),
        "no row is imported when any has an error"
    );

    let header_only = official
        .post_multipart(
            "/inventory/import",
            &[("csrf_token", &form.csrf())],
            &[("file", "inventory.csv", b"name,kind\n")],
        )
        .await;
    assert_eq!(header_only.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(header_only.body.contains("the first line must be the header"));

    let good_file = format!(
        "{HEADER}EHR,ehr,Dana,Cloud,Charts,store;process,12000,yes,yes,mfa,not_applicable,high,,,\n\
         Cloud fax,vendor_hosted_service,Dana,Vendor,Referrals,transmit,,yes,yes,password,not_applicable,medium,=eFax Corp,,\n\
         Old server,server,Dana,Closet,Charts,store,,no,no,password,no,medium,,2025-06-30,Wiped by vendor\n"
    );
    let preview = official
        .post_multipart(
            "/inventory/import",
            &[("csrf_token", &form.csrf())],
            &[("file", "inventory.csv", good_file.as_bytes())],
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert!(preview.body.contains("3 of 3 rows are valid"));
    assert!(app.store.assets().await.unwrap().is_empty(), "a preview stores nothing");
    let committed = official
        .post_form(
            "/inventory/import/commit",
            &[("csrf_token", &preview.csrf()), ("csv_text", &good_file)],
        )
        .await;
    assert_eq!(committed.status, StatusCode::SEE_OTHER, "{}", committed.body);
    assert!(
        committed.location().contains("update="),
        "added assets open the risk-analysis update"
    );
    let list = official.get(committed.location()).await;
    assert!(list.body.contains("The inventory was imported"));
    assert!(list.body.contains("/calendar/items/"));
    assert_eq!(app.store.assets().await.unwrap().len(), 3);

    let export = official.get("/inventory/export.csv").await;
    assert_eq!(export.status, StatusCode::OK);
    assert_eq!(export.headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert!(export.body.starts_with(HEADER));
    assert!(export.body.contains("'=eFax Corp"), "formula cells are protected in the export");
    assert!(export.body.contains("2025-06-30,Wiped by vendor"));

    let ledger_before = app.store.ledger_entries().await.unwrap().len();
    let again = official
        .post_multipart(
            "/inventory/import",
            &[("csrf_token", &form.csrf())],
            &[("file", "export.csv", export.body.as_bytes())],
        )
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    let recommitted = official
        .post_form(
            "/inventory/import/commit",
            &[("csrf_token", &again.csrf()), ("csv_text", &export.body)],
        )
        .await;
    assert_eq!(recommitted.status, StatusCode::SEE_OTHER);
    assert_eq!(app.store.assets().await.unwrap().len(), 3);
    assert_eq!(
        app.store.ledger_entries().await.unwrap().len(),
        ledger_before,
        "re-importing the export changes nothing"
    );
    let vendor = app
        .store
        .assets()
        .await
        .unwrap()
        .into_iter()
        .find(|asset| asset.details.name.as_str() == "Cloud fax")
        .unwrap()
        .details
        .vendor
        .unwrap();
    assert_eq!(vendor.as_str(), "=eFax Corp");
}
on_both!(import_previews_and_is_all_or_nothing, import_previews_and_is_all_or_nothing_body);

async fn readers_see_no_edit_controls_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let created = add_asset(&mut official, "EHR", "ehr").await;
    let path = format!("/inventory/{}", asset_id(created.location()));

    for role in [Role::Manager, Role::Auditor] {
        let mut reader = app.client_with_role(&mut official, role).await;
        let list = reader.get("/inventory").await;
        assert_eq!(list.status, StatusCode::OK, "{role:?}");
        assert!(list.body.contains("EHR"));
        assert!(!list.body.contains("Add an asset"), "{role:?}");
        assert!(!list.body.contains("Add a data flow"), "{role:?}");
        let show = reader.get(&path).await;
        assert_eq!(show.status, StatusCode::OK, "{role:?}");
        assert!(!show.body.contains("Retire this asset"), "{role:?}");
        assert_eq!(reader.get("/inventory/export.csv").await.status, StatusCode::OK, "{role:?}");
    }

    assert_eq!(official.get("/inventory/not-an-id").await.status, StatusCode::NOT_FOUND);
}
on_both!(readers_see_no_edit_controls, readers_see_no_edit_controls_body);
