//! The ePHI inventory: the systems, devices and vendor-hosted services that store, process or
//! transmit electronic protected health information, and the flows of ePHI between them and
//! to outside parties.
//!
//! The inventory is the scope of the risk analysis required by 164.308(a)(1)(ii)(A): every
//! asset listed here must be assessed. Values arrive through [`AssetInput::parse`] and
//! [`DataFlowInput::parse`], which name every invalid field. Assets are never deleted: retiring
//! one records the day it left service and the reason, and the asset stays for the six-year
//! retention period. The CSV format is in [`csv`] and the data-flow map in [`map`].

pub mod csv;
pub mod map;

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use serde::Serialize;

use crate::calendar::{Cadence, CompletionKind, DefaultObligation};
use crate::values::{InvalidValue, Line, parse_date};

/// The calendar obligation that adding an asset opens an item of: the risk analysis must cover
/// every asset, so a new one means the analysis needs an update.
///
/// The obligation does not recur: the store keeps it stopped and opens one item at a time,
/// due [`RISK_UPDATE_DAYS`] after the first asset it covers was added, and assets added while
/// that item is open join it. The monthly cadence only sets the due-soon window (a week) and is
/// never used to create periods.
pub const RISK_UPDATE_OBLIGATION: DefaultObligation = DefaultObligation {
    key: "risk-analysis-update",
    title: "Update the risk analysis for new assets",
    description: "Opened when an asset is added to the ePHI inventory: assess the new assets in the risk analysis. It does not recur; each item covers the assets added while it is open.",
    citation: "164.308(a)(1)(ii)(A)",
    cadence: Cadence::Monthly,
    completion: CompletionKind::Standard,
};

/// How many days after an asset is added its risk-analysis update is due.
///
/// The Security Rule sets no number for this; 30 days lets the update go with the next monthly
/// security meeting while the change is still fresh.
pub const RISK_UPDATE_DAYS: i64 = 30;

/// Returns the due date of a risk-analysis update opened on `today`.
pub fn risk_update_due(today: Date) -> Date {
    today.checked_add(jiff::Span::new().days(RISK_UPDATE_DAYS)).unwrap_or(today)
}

/// Defines an enum whose variants have a stored code and a label, with `ALL`, `code`, `label`,
/// `Display` and a `FromStr` that names `$field` and the accepted codes when it fails.
macro_rules! coded_enum {
    ($(#[$doc:meta])* $name:ident, $field:literal, [$($(#[$variant_doc:meta])* $variant:ident => ($code:literal, $label:literal)),+ $(,)?]) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        pub enum $name {
            $($(#[$variant_doc])* $variant,)+
        }

        impl $name {
            /// Every value, in the order forms list them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// Returns the stored and CSV code.
            pub fn code(self) -> &'static str {
                match self {
                    $($name::$variant => $code,)+
                }
            }

            /// Returns the name shown to people.
            pub fn label(self) -> &'static str {
                match self {
                    $($name::$variant => $label,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.label())
            }
        }

        impl FromStr for $name {
            type Err = InvalidValue;

            fn from_str(code: &str) -> Result<Self, Self::Err> {
                let code = code.trim();
                $name::ALL
                    .iter()
                    .copied()
                    .find(|value| value.code().eq_ignore_ascii_case(code))
                    .ok_or_else(|| {
                        let codes: Vec<&str> = $name::ALL.iter().map(|value| value.code()).collect();
                        InvalidValue::new($field, format!("{code:?} is not valid; use one of {}", codes.join(", ")))
                    })
            }
        }
    };
}

coded_enum!(
    /// The kind of an inventory asset.
    AssetKind,
    "kind",
    [
        /// Electronic health record system.
        Ehr => ("ehr", "EHR"),
        /// Practice management or scheduling system.
        PracticeManagement => ("practice_management", "Practice management"),
        /// Billing or claims system.
        Billing => ("billing", "Billing"),
        /// Imaging system, such as PACS or dental imaging.
        Imaging => ("imaging", "Imaging"),
        /// E-mail.
        Email => ("email", "E-mail"),
        /// Electronic fax.
        Efax => ("efax", "E-fax"),
        /// Phone system, including voicemail.
        Phones => ("phones", "Phone system"),
        /// Patient portal.
        PatientPortal => ("patient_portal", "Patient portal"),
        /// Backup system.
        Backup => ("backup", "Backup"),
        /// Any other application that stores ePHI.
        OtherApplication => ("other_application", "Other application"),
        /// Server.
        Server => ("server", "Server"),
        /// Desktop workstation.
        Workstation => ("workstation", "Workstation"),
        /// Laptop.
        Laptop => ("laptop", "Laptop"),
        /// Phone or tablet.
        PhoneOrTablet => ("phone_or_tablet", "Phone or tablet"),
        /// Router, firewall, switch or wireless access point.
        NetworkDevice => ("network_device", "Network device"),
        /// Medical device that stores or sends ePHI.
        MedicalDevice => ("medical_device", "Medical device"),
        /// USB drive, external disk or other removable media.
        RemovableMedia => ("removable_media", "Removable media"),
        /// A service a vendor runs and hosts, such as a cloud EHR or an answering service.
        VendorHostedService => ("vendor_hosted_service", "Vendor-hosted service"),
    ]
);

/// The group an asset kind belongs to, which is how the inventory and its map are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum AssetCategory {
    /// A system or application.
    System,
    /// A physical device.
    Device,
    /// A service a vendor hosts.
    Service,
}

impl AssetCategory {
    /// Every category, in the order pages and the map show them.
    pub const ALL: [AssetCategory; 3] = [AssetCategory::System, AssetCategory::Device, AssetCategory::Service];

    /// Returns the heading shown to people.
    pub fn label(self) -> &'static str {
        match self {
            AssetCategory::System => "Systems and applications",
            AssetCategory::Device => "Devices",
            AssetCategory::Service => "Vendor-hosted services",
        }
    }
}

impl AssetKind {
    /// Returns the group the kind belongs to.
    pub fn category(self) -> AssetCategory {
        use AssetKind::*;

        match self {
            Ehr | PracticeManagement | Billing | Imaging | Email | Efax | Phones | PatientPortal | Backup | OtherApplication => {
                AssetCategory::System
            }
            Server | Workstation | Laptop | PhoneOrTablet | NetworkDevice | MedicalDevice | RemovableMedia => AssetCategory::Device,
            VendorHostedService => AssetCategory::Service,
        }
    }
}

coded_enum!(
    /// Whether ePHI is encrypted, at rest or in transit.
    Encryption,
    "encryption",
    [
        /// Encrypted.
        Encrypted => ("yes", "Encrypted"),
        /// Not encrypted.
        NotEncrypted => ("no", "Not encrypted"),
        /// Not checked yet. The risk analysis treats it as not encrypted.
        Unknown => ("unknown", "Unknown"),
        /// The asset does not hold or send ePHI in this way.
        NotApplicable => ("not_applicable", "Not applicable"),
    ]
);

coded_enum!(
    /// The sign-in method of an asset.
    SignIn,
    "sign-in",
    [
        /// Multi-factor authentication.
        Mfa => ("mfa", "Multi-factor"),
        /// A password or PIN alone.
        Password => ("password", "Password only"),
        /// One account shared by several people.
        Shared => ("shared", "Shared account"),
        /// No sign-in at all, such as removable media.
        NoSignIn => ("none", "No sign-in"),
        /// Not checked yet.
        Unknown => ("unknown", "Unknown"),
    ]
);

coded_enum!(
    /// Whether the practice's backups cover an asset's ePHI.
    BackupCoverage,
    "backup",
    [
        /// Backed up.
        Covered => ("yes", "Backed up"),
        /// Not backed up.
        NotCovered => ("no", "Not backed up"),
        /// Holds no ePHI of its own, or the vendor backs it up under its agreement.
        NotApplicable => ("not_applicable", "Not applicable"),
        /// Not checked yet.
        Unknown => ("unknown", "Unknown"),
    ]
);

coded_enum!(
    /// How much the practice's work depends on an asset, which orders the contingency plan.
    Criticality,
    "criticality",
    [
        /// Patient care or billing stops without it.
        High => ("high", "High"),
        /// Work slows down without it.
        Medium => ("medium", "Medium"),
        /// Work goes on without it for days.
        Low => ("low", "Low"),
    ]
);

/// The handling of ePHI by an asset. At least one applies to every inventory entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub struct EphiHandling {
    /// Keeps ePHI, even temporarily.
    pub stores: bool,
    /// Reads or changes ePHI.
    pub processes: bool,
    /// Sends or receives ePHI.
    pub transmits: bool,
}

impl EphiHandling {
    /// Parses the CSV form: `store`, `process` and `transmit` separated by `;`, in any order.
    pub fn parse(text: &str) -> Result<Self, InvalidValue> {
        let mut handling = EphiHandling::default();

        for word in text.split(';').map(str::trim).filter(|word| !word.is_empty()) {
            match word.to_ascii_lowercase().as_str() {
                "store" => handling.stores = true,
                "process" => handling.processes = true,
                "transmit" => handling.transmits = true,
                _ => {
                    return Err(InvalidValue::new(
                        "ePHI handling",
                        format!("{word:?} is not valid; list store, process or transmit separated by ;"),
                    ));
                }
            }
        }
        handling.require_one()
    }

    /// Builds the value from three form checkboxes.
    pub fn from_flags(stores: bool, processes: bool, transmits: bool) -> Result<Self, InvalidValue> {
        EphiHandling {
            stores,
            processes,
            transmits,
        }
        .require_one()
    }

    fn require_one(self) -> Result<Self, InvalidValue> {
        if self.stores || self.processes || self.transmits {
            Ok(self)
        } else {
            Err(InvalidValue::new(
                "ePHI handling",
                "choose at least one of store, process and transmit; an asset that does none of them does not belong in the ePHI inventory",
            ))
        }
    }

    /// Formats the CSV form, the inverse of [`EphiHandling::parse`].
    pub fn code(self) -> String {
        let mut words = Vec::new();
        if self.stores {
            words.push("store");
        }
        if self.processes {
            words.push("process");
        }
        if self.transmits {
            words.push("transmit");
        }
        words.join(";")
    }

    /// Returns the words shown to people, such as `stores, transmits`.
    pub fn label(self) -> String {
        let mut words = Vec::new();
        if self.stores {
            words.push("stores");
        }
        if self.processes {
            words.push("processes");
        }
        if self.transmits {
            words.push("transmits");
        }
        words.join(", ")
    }
}

/// The text fields of an asset as a form or a CSV row supplies them, before validation.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct AssetFields {
    /// Name, unique among assets in service.
    #[serde(default)]
    pub name: String,
    /// [`AssetKind`] code.
    #[serde(default)]
    pub kind: String,
    /// The person or role responsible for the asset.
    #[serde(default)]
    pub owner: String,
    /// The location of the asset, such as `Front desk` or `Vendor data center`.
    #[serde(default)]
    pub location: String,
    /// The ePHI the asset stores, such as `Charts, insurance cards`.
    #[serde(default)]
    pub ephi: String,
    /// [`EphiHandling`] in its CSV form.
    #[serde(default)]
    pub ephi_handling: String,
    /// Approximate number of patient records, blank when unknown.
    #[serde(default)]
    pub record_count: String,
    /// [`Encryption`] code for data at rest.
    #[serde(default)]
    pub encryption_at_rest: String,
    /// [`Encryption`] code for data in transit.
    #[serde(default)]
    pub encryption_in_transit: String,
    /// [`SignIn`] code.
    #[serde(default)]
    pub sign_in: String,
    /// [`BackupCoverage`] code.
    #[serde(default)]
    pub backup: String,
    /// [`Criticality`] code.
    #[serde(default)]
    pub criticality: String,
    /// The vendor that runs or supports the asset, blank for none.
    #[serde(default)]
    pub vendor: String,
}

/// A validated asset, ready to be stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssetInput {
    /// Name, unique among assets in service.
    pub name: Line,
    /// The kind of asset.
    pub kind: AssetKind,
    /// The person or role responsible for it.
    pub owner: Line,
    /// Its location.
    pub location: Line,
    /// The ePHI it stores.
    pub ephi: Line,
    /// What it does with that ePHI.
    pub ephi_handling: EphiHandling,
    /// Approximate number of patient records, when known.
    pub record_count: Option<i64>,
    /// Encryption of stored ePHI.
    pub encryption_at_rest: Encryption,
    /// Encryption of ePHI it sends or receives.
    pub encryption_in_transit: Encryption,
    /// How people sign in.
    pub sign_in: SignIn,
    /// Whether backups cover it.
    pub backup: BackupCoverage,
    /// How much work depends on it.
    pub criticality: Criticality,
    /// The vendor that runs or supports it.
    pub vendor: Option<Line>,
}

impl AssetInput {
    /// Parses the fields of an asset; every error names its field.
    pub fn parse(fields: &AssetFields) -> Result<Self, Vec<InvalidValue>> {
        Self::parse_with_handling(fields, EphiHandling::parse(&fields.ephi_handling))
    }

    /// Parses the fields of an asset whose ePHI handling came from form checkboxes.
    pub fn parse_with_handling(fields: &AssetFields, handling: Result<EphiHandling, InvalidValue>) -> Result<Self, Vec<InvalidValue>> {
        let mut errors = Vec::new();
        let name = Line::parse("name", &fields.name).map_err(|error| errors.push(error)).ok();
        let kind = fields.kind.parse::<AssetKind>().map_err(|error| errors.push(error)).ok();
        let owner = Line::parse("owner", &fields.owner).map_err(|error| errors.push(error)).ok();
        let location = Line::parse("location", &fields.location).map_err(|error| errors.push(error)).ok();
        let ephi = Line::parse("ePHI", &fields.ephi).map_err(|error| errors.push(error)).ok();
        let ephi_handling = handling.map_err(|error| errors.push(error)).ok();
        let record_count = parse_record_count(&fields.record_count).map_err(|error| errors.push(error)).ok();
        let at_rest = parse_encryption("encryption at rest", &fields.encryption_at_rest)
            .map_err(|error| errors.push(error))
            .ok();
        let in_transit = parse_encryption("encryption in transit", &fields.encryption_in_transit)
            .map_err(|error| errors.push(error))
            .ok();
        let sign_in = fields.sign_in.parse::<SignIn>().map_err(|error| errors.push(error)).ok();
        let backup = fields.backup.parse::<BackupCoverage>().map_err(|error| errors.push(error)).ok();
        let criticality = fields.criticality.parse::<Criticality>().map_err(|error| errors.push(error)).ok();
        let vendor = Line::parse_optional("vendor", &fields.vendor)
            .map_err(|error| errors.push(error))
            .ok();

        // A vendor-hosted service is run by someone outside the practice, and that someone is
        // the business associate whose agreement covers it, so the vendor must be named.
        if kind == Some(AssetKind::VendorHostedService) && vendor == Some(None) {
            errors.push(InvalidValue::new(
                "vendor",
                "is required for a vendor-hosted service; name the business associate that runs it",
            ));
        }

        match (
            name,
            kind,
            owner,
            location,
            ephi,
            ephi_handling,
            record_count,
            at_rest,
            in_transit,
            sign_in,
            backup,
            criticality,
            vendor,
        ) {
            (
                Some(name),
                Some(kind),
                Some(owner),
                Some(location),
                Some(ephi),
                Some(ephi_handling),
                Some(record_count),
                Some(encryption_at_rest),
                Some(encryption_in_transit),
                Some(sign_in),
                Some(backup),
                Some(criticality),
                Some(vendor),
            ) if errors.is_empty() => Ok(Self {
                name,
                kind,
                owner,
                location,
                ephi,
                ephi_handling,
                record_count,
                encryption_at_rest,
                encryption_in_transit,
                sign_in,
                backup,
                criticality,
                vendor,
            }),
            _ => Err(errors),
        }
    }

    /// Returns the fields as a form shows them, the inverse of [`AssetInput::parse`].
    pub fn to_fields(&self) -> AssetFields {
        AssetFields {
            name: self.name.to_string(),
            kind: self.kind.code().to_owned(),
            owner: self.owner.to_string(),
            location: self.location.to_string(),
            ephi: self.ephi.to_string(),
            ephi_handling: self.ephi_handling.code(),
            record_count: self.record_count.map(|count| count.to_string()).unwrap_or_default(),
            encryption_at_rest: self.encryption_at_rest.code().to_owned(),
            encryption_in_transit: self.encryption_in_transit.code().to_owned(),
            sign_in: self.sign_in.code().to_owned(),
            backup: self.backup.code().to_owned(),
            criticality: self.criticality.code().to_owned(),
            vendor: self.vendor.as_ref().map(Line::to_string).unwrap_or_default(),
        }
    }
}

fn parse_encryption(field: &'static str, text: &str) -> Result<Encryption, InvalidValue> {
    text.parse::<Encryption>().map_err(|error| InvalidValue::new(field, error.message))
}

/// The largest record count accepted; more than every patient record in the United States
/// means a typing mistake.
const MAX_RECORD_COUNT: i64 = 1_000_000_000;

/// Parses an approximate record count: blank for unknown, digits with optional `,` or `_`
/// thousands separators.
pub fn parse_record_count(text: &str) -> Result<Option<i64>, InvalidValue> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }

    let digits: String = trimmed.chars().filter(|character| !matches!(character, ',' | '_')).collect();
    let invalid = || {
        InvalidValue::new(
            "record count",
            format!("{trimmed:?} is not a whole number; enter an estimate such as 4000, or leave it blank"),
        )
    };
    if digits.is_empty() || !digits.chars().all(|character| character.is_ascii_digit()) {
        return Err(invalid());
    }
    let count: i64 = digits.parse().map_err(|_| invalid())?;
    if count > MAX_RECORD_COUNT {
        return Err(InvalidValue::new(
            "record count",
            format!("{count} is more than {MAX_RECORD_COUNT}; check the number"),
        ));
    }
    Ok(Some(count))
}

/// A validated retirement of an asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RetirementInput {
    /// The day the asset left service.
    pub retired_on: Date,
    /// The reason and what happened to its ePHI, such as `Replaced; drive wiped, certificate on file`.
    pub reason: Line,
}

impl RetirementInput {
    /// Parses a retirement form. A day after `today` is refused, because retirement records
    /// what happened, not a plan.
    pub fn parse(retired_on: &str, reason: &str, today: Date) -> Result<Self, Vec<InvalidValue>> {
        let mut errors = Vec::new();
        let retired_on = parse_date("retired on", retired_on).map_err(|error| errors.push(error)).ok();
        let reason = Line::parse("reason", reason).map_err(|error| errors.push(error)).ok();

        if retired_on.is_some_and(|day| day > today) {
            errors.push(InvalidValue::new(
                "retired on",
                "is in the future; retire the asset on the day it leaves service",
            ));
        }

        match (retired_on, reason) {
            (Some(retired_on), Some(reason)) if errors.is_empty() => Ok(Self { retired_on, reason }),
            _ => Err(errors),
        }
    }
}

/// One end of a data flow: an inventory asset, or a party outside the practice such as a
/// clearinghouse, a laboratory or patients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum FlowEnd<A> {
    /// An asset of the inventory.
    Asset(A),
    /// A party outside the practice, by name.
    Outside(Line),
}

impl<A> FlowEnd<A> {
    /// Returns the asset, if this end is one.
    pub fn asset(&self) -> Option<&A> {
        match self {
            FlowEnd::Asset(asset) => Some(asset),
            FlowEnd::Outside(_) => None,
        }
    }
}

/// A validated data flow, ready to be stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataFlowInput<A> {
    /// The source of the ePHI.
    pub from: FlowEnd<A>,
    /// The destination of the ePHI.
    pub to: FlowEnd<A>,
    /// The ePHI that flows, such as `Claims (837)`.
    pub data: Line,
    /// The transport, such as `SFTP`, `HTTPS`, `Fax` or `E-mail`.
    pub transport: Line,
    /// Whether it is encrypted on the way.
    pub encryption: Encryption,
}

impl<A: FromStr + PartialEq> DataFlowInput<A> {
    /// Parses a data-flow form. Each end is an asset id, or when that is blank an outside
    /// party's name; at least one end must be an asset, and the two ends must differ.
    pub fn parse(
        from_asset: &str,
        from_party: &str,
        to_asset: &str,
        to_party: &str,
        data: &str,
        transport: &str,
        encryption: &str,
    ) -> Result<Self, Vec<InvalidValue>> {
        let mut errors = Vec::new();
        let from = parse_end("from", from_asset, from_party).map_err(|error| errors.push(error)).ok();
        let to = parse_end("to", to_asset, to_party).map_err(|error| errors.push(error)).ok();
        let data = Line::parse("data", data).map_err(|error| errors.push(error)).ok();
        let transport = Line::parse("transport", transport).map_err(|error| errors.push(error)).ok();
        let encryption = parse_encryption("encryption", encryption).map_err(|error| errors.push(error)).ok();

        if let (Some(from), Some(to)) = (&from, &to) {
            if from.asset().is_none() && to.asset().is_none() {
                errors.push(InvalidValue::new(
                    "to",
                    "at least one end must be an inventory asset; flows between two outside parties are not the practice's to record",
                ));
            }
            if from == to {
                errors.push(InvalidValue::new("to", "is the same as from; choose a different destination"));
            }
        }

        match (from, to, data, transport, encryption) {
            (Some(from), Some(to), Some(data), Some(transport), Some(encryption)) if errors.is_empty() => Ok(Self {
                from,
                to,
                data,
                transport,
                encryption,
            }),
            _ => Err(errors),
        }
    }
}

fn parse_end<A: FromStr>(field: &'static str, asset: &str, party: &str) -> Result<FlowEnd<A>, InvalidValue> {
    let asset = asset.trim();
    if !asset.is_empty() {
        return asset
            .parse::<A>()
            .map(FlowEnd::Asset)
            .map_err(|_| InvalidValue::new(field, "names an asset that does not exist; reload the page and choose again"));
    }
    if party.trim().is_empty() {
        return Err(InvalidValue::new(field, "is required; choose an asset or name an outside party"));
    }
    Line::parse(field, party).map(FlowEnd::Outside)
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;
    use crate::ids::AssetId;

    pub(crate) fn fields() -> AssetFields {
        AssetFields {
            name: "Cloud EHR".into(),
            kind: "vendor_hosted_service".into(),
            owner: "Dana Reyes".into(),
            location: "Vendor data center".into(),
            ephi: "Charts, insurance, lab results".into(),
            ephi_handling: "store;process;transmit".into(),
            record_count: "12,500".into(),
            encryption_at_rest: "yes".into(),
            encryption_in_transit: "yes".into(),
            sign_in: "mfa".into(),
            backup: "not_applicable".into(),
            criticality: "high".into(),
            vendor: "Acme Health IT".into(),
        }
    }

    #[test]
    fn risk_update_due_in_thirty_days() {
        assert_eq!(risk_update_due(date(2026, 12, 4)), date(2027, 1, 3));
        assert!(crate::catalog::specification(RISK_UPDATE_OBLIGATION.citation).is_some());
    }

    #[test]
    fn asset_parses_every_field() {
        let asset = AssetInput::parse(&fields()).unwrap();

        assert_eq!(asset.kind, AssetKind::VendorHostedService);
        assert_eq!(asset.kind.category(), AssetCategory::Service);
        assert_eq!(asset.record_count, Some(12_500));
        assert!(asset.ephi_handling.stores && asset.ephi_handling.transmits);
        assert_eq!(asset.vendor.unwrap().as_str(), "Acme Health IT");
    }

    #[test]
    fn asset_fields_round_trip() {
        let asset = AssetInput::parse(&fields()).unwrap();

        assert_eq!(AssetInput::parse(&asset.to_fields()).unwrap(), asset);
    }

    #[test]
    fn asset_names_every_invalid_field() {
        let errors = AssetInput::parse(&AssetFields {
            record_count: "about 10".into(),
            ..AssetFields::default()
        })
        .unwrap_err();
        let names: Vec<_> = errors.iter().map(|error| error.field).collect();

        assert_eq!(
            names,
            [
                "name",
                "kind",
                "owner",
                "location",
                "ePHI",
                "ePHI handling",
                "record count",
                "encryption at rest",
                "encryption in transit",
                "sign-in",
                "backup",
                "criticality"
            ]
        );
    }

    #[test]
    fn vendor_service_needs_vendor() {
        let errors = AssetInput::parse(&AssetFields {
            vendor: " ".into(),
            ..fields()
        })
        .unwrap_err();

        assert_eq!(errors[0].field, "vendor");
    }

    #[test]
    fn codes_are_case_insensitive() {
        assert_eq!("MFA".parse::<SignIn>().unwrap(), SignIn::Mfa);
        assert_eq!(" Laptop ".parse::<AssetKind>().unwrap(), AssetKind::Laptop);
        assert!(
            "maybe"
                .parse::<Encryption>()
                .unwrap_err()
                .message
                .contains("yes, no, unknown, not_applicable")
        );
    }

    #[test]
    fn every_kind_code_round_trips() {
        for kind in AssetKind::ALL {
            assert_eq!(kind.code().parse::<AssetKind>().unwrap(), *kind);
        }
    }

    #[test]
    fn handling_needs_one_and_round_trips() {
        assert!(EphiHandling::parse("").is_err());
        assert!(EphiHandling::parse("store;print").is_err());
        let handling = EphiHandling::parse("transmit; STORE").unwrap();

        assert_eq!(handling.code(), "store;transmit");
        assert_eq!(EphiHandling::parse(&handling.code()).unwrap(), handling);
    }

    #[test]
    fn record_count_accepts_separators_only() {
        assert_eq!(parse_record_count(" ").unwrap(), None);
        assert_eq!(parse_record_count("1_200").unwrap(), Some(1200));
        assert!(parse_record_count("-5").is_err());
        assert!(parse_record_count("1.5").is_err());
        assert!(parse_record_count(",").is_err());
        assert!(parse_record_count("99999999999999999999").is_err());
    }

    #[test]
    fn retirement_in_future_is_refused() {
        let today = date(2026, 12, 4);

        let errors = RetirementInput::parse("2026-12-05", "Replaced", today).unwrap_err();
        assert_eq!(errors[0].field, "retired on");
        assert!(RetirementInput::parse("2026-12-04", "Replaced", today).is_ok());
        let missing: Vec<_> = RetirementInput::parse("", "", today)
            .unwrap_err()
            .iter()
            .map(|error| error.field)
            .collect();
        assert_eq!(missing, ["retired on", "reason"]);
    }

    #[test]
    fn flow_needs_an_asset_end() {
        let errors = DataFlowInput::<AssetId>::parse("", "Clearinghouse", "", "Payer", "Claims", "SFTP", "yes").unwrap_err();

        assert_eq!(errors[0].field, "to");
    }

    #[test]
    fn flow_ends_must_differ() {
        let id = AssetId::new().to_string();

        let errors = DataFlowInput::<AssetId>::parse(&id, "", &id, "", "Claims", "SFTP", "yes").unwrap_err();

        assert_eq!(errors[0].field, "to");
    }

    #[test]
    fn flow_names_missing_fields() {
        let errors = DataFlowInput::<AssetId>::parse("", "", "not-an-id", "", "", "", "").unwrap_err();
        let names: Vec<_> = errors.iter().map(|error| error.field).collect();

        assert_eq!(names, ["from", "to", "data", "transport", "encryption"]);
    }

    #[test]
    fn flow_to_outside_party_parses() {
        let id = AssetId::new();

        let flow = DataFlowInput::<AssetId>::parse(&id.to_string(), "", "", "Availity clearinghouse", "Claims", "SFTP", "yes").unwrap();

        assert_eq!(flow.from, FlowEnd::Asset(id));
        assert_eq!(flow.to, FlowEnd::Outside(Line::parse("to", "Availity clearinghouse").unwrap()));
    }
}
