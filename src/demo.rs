//! Demo data for `cyberdrill serve --demo`: a ministry with two units, a province,
//! users for every role, systems of every level, teams and playbooks (one of them
//! stale), and a planned drill on the shipped ransomware scenario with a blue and a red
//! team that the demo users belong to, so that a newcomer sees a populated UI and can
//! open every drill console at once. Seeding is idempotent.

use std::io::Write;

use chrono::{Datelike, Duration, NaiveDate, Utc};
use sea_orm::DatabaseConnection;

use crate::auth::password;
use crate::domain::drill::{DrillKind, DrillScale};
use crate::domain::registry::{
    Certificate, Contact, Dossier, MemberDraft, PlaybookDraft, PlaybookStep, SystemDraft, TeamDraft,
};
use crate::domain::{
    CertificateScope, DegreeLevel, DossierStatus, Employment, ExpertGroup, FieldOfStudy,
    IncidentCategory, Role, Sector, SecurityLevel, Side, SystemType,
};
use crate::store::{self, Scope, orgs::NewOrg, users::NewUser};
use crate::time::vietnam_date;

pub const DEMO_PASSWORD: &str = "demo-cyberdrill-2026";
const MINISTRY: &str = "bo-demo";

fn level(n: i64) -> SecurityLevel {
    SecurityLevel::new(n).unwrap_or(SecurityLevel::LIVE_FIRE_MINIMUM)
}

pub async fn seed(db: &DatabaseConnection) -> anyhow::Result<()> {
    if store::orgs::find_by_slug(db, MINISTRY).await?.is_none() {
        seed_fresh(db).await?;
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "\nDemo data is ready. Sign in at the address above with one of these users (password: {DEMO_PASSWORD}):"
    )?;
    for (user, role) in [
        ("admin", "admin — quản trị"),
        ("btc", "controller — ban tổ chức (Bộ Demo)"),
        ("bgk", "evaluator — ban giám khảo (Bộ Demo)"),
        ("ungcuu", "responder — đội ứng cứu (Trung tâm CNTT)"),
        ("doido", "responder — đội tấn công (đội đỏ) của diễn tập"),
        (
            "tinh",
            "controller — UBND tỉnh Demo (sees only its province)",
        ),
    ] {
        writeln!(out, "  {user:<8} {role}")?;
    }
    Ok(())
}

async fn seed_fresh(db: &DatabaseConnection) -> anyhow::Result<()> {
    let today = vietnam_date(Utc::now());
    let days_ago = |n: i64| today - Duration::days(n);
    let root = store::orgs::ensure_root(db).await?;
    let ministry = store::orgs::create(
        db,
        NewOrg {
            slug: MINISTRY,
            name: "Bộ Demo",
            parent_id: Some(root.id),
            sector: Some(Sector::GovDirection),
        },
    )
    .await?;
    let it_centre = store::orgs::create(
        db,
        NewOrg {
            slug: "ttcntt-demo",
            name: "Trung tâm Công nghệ thông tin",
            parent_id: Some(ministry.id),
            sector: None,
        },
    )
    .await?;
    let digital = store::orgs::create(
        db,
        NewOrg {
            slug: "cds-demo",
            name: "Cục Chuyển đổi số",
            parent_id: Some(ministry.id),
            sector: None,
        },
    )
    .await?;
    let province = store::orgs::create(
        db,
        NewOrg {
            slug: "tinh-demo",
            name: "UBND tỉnh Demo",
            parent_id: Some(root.id),
            sector: Some(Sector::Urban),
        },
    )
    .await?;

    let hash = password::hash_blocking(DEMO_PASSWORD)?;
    let mut user_ids = std::collections::HashMap::new();
    for (username, full_name, role, org) in [
        ("admin", "Quản trị hệ thống", Role::Admin, root.id),
        ("btc", "Nguyễn Văn Tổ Chức", Role::Controller, ministry.id),
        ("bgk", "Trần Thị Giám Khảo", Role::Evaluator, ministry.id),
        ("ungcuu", "Lê Minh Ứng Cứu", Role::Responder, it_centre.id),
        ("doido", "Trịnh Tấn Công", Role::Responder, ministry.id),
        ("quansat", "Phạm Quan Sát", Role::Observer, ministry.id),
        ("tinh", "Hoàng Văn Tỉnh", Role::Controller, province.id),
    ] {
        let user = store::users::create(
            db,
            NewUser {
                username,
                full_name,
                password_hash: &hash,
                role,
                org_id: org,
            },
        )
        .await?;
        // Team members with an account: the drill consoles know them by it.
        user_ids.insert(full_name, user.id);
    }

    let all = Scope::All;
    let approved = |on: NaiveDate, no: &str| Dossier {
        status: DossierStatus::Approved,
        submitted_on: Some(on - Duration::days(40)),
        appraised_on: Some(on - Duration::days(10)),
        approved_on: Some(on),
        decision_no: Some(no.to_owned()),
    };
    let system = |name: &str,
                  kind: SystemType,
                  lvl: i64,
                  sector: Option<Sector>,
                  dossier: Dossier,
                  domain: &str,
                  ip: &str,
                  changed: Option<NaiveDate>| SystemDraft {
        org_id: None,
        operator_org_id: None,
        name: name.to_owned(),
        description: String::new(),
        system_type: kind,
        sector,
        level: level(lvl),
        dossier,
        domains: if domain.is_empty() {
            vec![]
        } else {
            vec![domain.to_owned()]
        },
        public_ips: if ip.is_empty() {
            vec![]
        } else {
            vec![ip.to_owned()]
        },
        last_changed_on: changed,
    };
    let portal = store::systems::create(
        db,
        &all,
        it_centre.id,
        &system(
            "Cổng dịch vụ công",
            SystemType::CitizenBusiness,
            3,
            Some(Sector::GovDirection),
            approved(days_ago(300), "512/QĐ-BDEMO"),
            "dichvucong.demo.example.gov.vn",
            "203.0.113.10",
            Some(days_ago(60)),
        ),
    )
    .await?;
    let eoffice = store::systems::create(
        db,
        &all,
        it_centre.id,
        &system(
            "Hệ thống quản lý văn bản và điều hành",
            SystemType::Internal,
            3,
            None,
            approved(days_ago(250), "618/QĐ-BDEMO"),
            "qlvb.demo.example.gov.vn",
            "203.0.113.11",
            Some(days_ago(20)),
        ),
    )
    .await?;
    let data_centre = store::systems::create(
        db,
        &all,
        it_centre.id,
        &system(
            "Trung tâm dữ liệu của Bộ",
            SystemType::InfoInfra,
            4,
            Some(Sector::Information),
            approved(days_ago(200), "720/QĐ-BDEMO"),
            "",
            "203.0.113.1",
            Some(days_ago(90)),
        ),
    )
    .await?;
    store::systems::create(
        db,
        &all,
        digital.id,
        &system(
            "Cổng thông tin điện tử",
            SystemType::CitizenBusiness,
            2,
            None,
            Dossier {
                status: DossierStatus::Appraised,
                submitted_on: Some(days_ago(45)),
                appraised_on: Some(days_ago(5)),
                ..Dossier::default()
            },
            "demo.example.gov.vn",
            "198.51.100.20",
            None,
        ),
    )
    .await?;
    store::systems::create(
        db,
        &all,
        digital.id,
        &system(
            "Thư điện tử công vụ",
            SystemType::Internal,
            3,
            None,
            Dossier {
                status: DossierStatus::Submitted,
                submitted_on: Some(days_ago(12)),
                ..Dossier::default()
            },
            "mail.demo.example.gov.vn",
            "198.51.100.25",
            Some(days_ago(10)),
        ),
    )
    .await?;
    store::systems::create(
        db,
        &all,
        ministry.id,
        &system(
            "Mạng nội bộ văn phòng Bộ",
            SystemType::Internal,
            1,
            None,
            Dossier::default(),
            "",
            "",
            None,
        ),
    )
    .await?;
    store::systems::create(
        db,
        &all,
        province.id,
        &system(
            "Cổng dịch vụ công tỉnh Demo",
            SystemType::CitizenBusiness,
            3,
            Some(Sector::Urban),
            approved(days_ago(150), "1024/QĐ-UBND"),
            "dichvucong.tinhdemo.example.gov.vn",
            "198.51.100.40",
            Some(days_ago(30)),
        ),
    )
    .await?;

    let step = |action: &str, role: &str| PlaybookStep {
        order: None,
        action: action.to_owned(),
        role: role.to_owned(),
    };
    // Current: reviewed after the portal's last change.
    store::playbooks::create(
        db,
        &all,
        portal.id,
        &PlaybookDraft {
            category: IncidentCategory::Encryption,
            title: "Ứng cứu sự cố mã độc tống tiền (ransomware) trên Cổng dịch vụ công".into(),
            steps: vec![
                step("Tiếp nhận cảnh báo từ SOC, xác minh dấu hiệu mã hóa dữ liệu, thu thập chứng cứ ban đầu", "Trực giám sát (SOC)"),
                step("Cô lập máy chủ bị ảnh hưởng khỏi mạng, chặn kết nối ra máy chủ điều khiển (C2)", "Quản trị hệ thống"),
                step("Báo cáo ban đầu theo Mẫu 03 tới chủ quản, đơn vị chuyên trách và Cơ quan điều phối quốc gia", "Trưởng nhóm ứng cứu"),
                step("Xác định phạm vi, biến thể mã độc, điểm xâm nhập; bảo toàn chứng cứ để bàn giao cơ quan công an", "Chuyên gia phân tích"),
                step("Khôi phục từ bản sao lưu ngoại tuyến đã kiểm tra, vá lỗ hổng trước khi đưa hệ thống hoạt động trở lại", "Quản trị hệ thống"),
                step("Báo cáo kết thúc ứng phó theo Mẫu 04, rút kinh nghiệm và cập nhật phương án", "Trưởng nhóm ứng cứu"),
            ],
            priority_conditions: "Ưu tiên duy trì tiếp nhận hồ sơ trực tuyến qua hệ thống dự phòng; không trả tiền chuộc; dừng dịch vụ nếu có nguy cơ lộ dữ liệu cá nhân.".into(),
            approved_by: Some("Giám đốc Trung tâm CNTT".into()),
            approved_on: Some(days_ago(100)),
            reviewed_on: Some(days_ago(30)),
            change_note: "Ban hành lần đầu".into(),
        },
        None,
    )
    .await?;
    // Stale: the e-office system changed after this playbook was reviewed.
    store::playbooks::create(
        db,
        &all,
        eoffice.id,
        &PlaybookDraft {
            category: IncidentCategory::UnauthAccess,
            title: "Xử lý truy cập trái phép, webshell trên hệ thống quản lý văn bản".into(),
            steps: vec![
                step("Phát hiện tệp lạ trong thư mục web, đối chiếu với bản gốc", "Trực giám sát (SOC)"),
                step("Gỡ webshell, thu hồi phiên đăng nhập, đổi mật khẩu tài khoản quản trị", "Quản trị hệ thống"),
                step("Rà soát nhật ký truy cập 30 ngày để xác định hành vi của kẻ tấn công", "Chuyên gia phân tích"),
            ],
            priority_conditions: "Duy trì luồng văn bản đi/đến; chuyển sang gửi nhận qua thư điện tử công vụ trong thời gian xử lý.".into(),
            approved_by: Some("Giám đốc Trung tâm CNTT".into()),
            approved_on: Some(days_ago(180)),
            reviewed_on: Some(days_ago(120)),
            change_note: "Ban hành lần đầu".into(),
        },
        None,
    )
    .await?;
    store::playbooks::create(
        db,
        &all,
        data_centre.id,
        &PlaybookDraft {
            category: IncidentCategory::Dos,
            title: "Ứng phó tấn công từ chối dịch vụ (DDoS) vào Trung tâm dữ liệu".into(),
            steps: vec![
                step(
                    "Xác nhận lưu lượng bất thường, phân loại tấn công",
                    "Trực giám sát (SOC)",
                ),
                step(
                    "Đề nghị nhà cung cấp đường truyền lọc lưu lượng (scrubbing)",
                    "Trưởng nhóm ứng cứu",
                ),
                step(
                    "Kích hoạt giới hạn tốc độ, chặn theo địa lý tạm thời",
                    "Quản trị mạng",
                ),
            ],
            priority_conditions:
                "Ưu tiên các dịch vụ công trực tuyến và kết nối liên thông với Văn phòng Chính phủ."
                    .into(),
            approved_by: Some("Lãnh đạo Bộ".into()),
            approved_on: Some(days_ago(95)),
            reviewed_on: None,
            change_note: "Ban hành lần đầu".into(),
        },
        None,
    )
    .await?;

    let cert = |name: &str, issuer: &str, expires: Option<NaiveDate>| Certificate {
        name: name.to_owned(),
        issuer: issuer.to_owned(),
        scope: if issuer == "NCSC" {
            CertificateScope::Domestic
        } else {
            CertificateScope::International
        },
        issued_on: Some(days_ago(700)),
        expires_on: expires,
    };
    let contact = |name: &str, phone: &str, email: &str| Contact {
        name: name.into(),
        title: "Trưởng nhóm".into(),
        phone: phone.into(),
        email: email.into(),
    };
    let blue = store::teams::create(
        db,
        &all,
        it_centre.id,
        &TeamDraft {
            org_id: None,
            name: "Đội ứng cứu sự cố Trung tâm CNTT".into(),
            side: Side::Blue,
            description: "Đội ứng cứu sự cố an toàn thông tin mạng của Bộ Demo".into(),
            contact_primary: Some(contact(
                "Lê Minh Ứng Cứu",
                "024 3999 0001",
                "ungcuu@demo.example.gov.vn",
            )),
            contact_backup: Some(contact(
                "Đỗ Thị Dự Phòng",
                "024 3999 0002",
                "duphong@demo.example.gov.vn",
            )),
            is_24x7: true,
            established_decision_no: Some("105/QĐ-BDEMO".into()),
            established_on: Some(days_ago(900)),
        },
    )
    .await?;
    let members = [
        (
            "Lê Minh Ứng Cứu",
            vec![ExpertGroup::Ktpt, ExpertGroup::Qlattt],
            Employment::InHouse,
            Some(cert("GCIH", "GIAC", Some(days_ago(-400)))),
        ),
        (
            "Đỗ Thị Dự Phòng",
            vec![ExpertGroup::Ktpt],
            Employment::InHouse,
            Some(cert("CEH", "EC-Council", Some(days_ago(-200)))),
        ),
        (
            "Vũ Đức Phân Tích",
            vec![ExpertGroup::Ktpt],
            Employment::InHouse,
            Some(cert("GCFA", "GIAC", None)),
        ),
        (
            "Bùi Thu Giám Sát",
            vec![ExpertGroup::Ktkt],
            Employment::InHouse,
            Some(cert("CompTIA CySA+", "CompTIA", Some(days_ago(-100)))),
        ),
        (
            "Ngô Văn Thuê Ngoài",
            vec![ExpertGroup::Ktbv],
            Employment::Outsourced,
            Some(cert("OSCP", "OffSec", None)),
        ),
        (
            "Đinh Quang Hết Hạn",
            vec![ExpertGroup::Ktpt],
            Employment::InHouse,
            Some(cert("Security+", "CompTIA", Some(days_ago(30)))),
        ),
    ];
    for (name, groups, employment, certificate) in members {
        store::teams::add_member(
            db,
            &all,
            blue.id,
            &MemberDraft {
                full_name: name.into(),
                title: "Chuyên viên".into(),
                user_id: user_ids.get(name).copied(),
                employment,
                field_of_study: Some(FieldOfStudy::Infosec),
                degree_level: Some(DegreeLevel::Bachelor),
                expert_groups: groups,
                skills: vec!["Ứng cứu xử lý sự cố ATTT".into()],
                certificates: certificate.into_iter().collect(),
            },
            today,
        )
        .await?;
    }
    let red = store::teams::create(
        db,
        &all,
        ministry.id,
        &TeamDraft {
            org_id: None,
            name: "Đội tấn công (đội đỏ) diễn tập".into(),
            side: Side::Red,
            description: "Chuyên gia kiểm thử xâm nhập được thuê cho diễn tập thực chiến".into(),
            contact_primary: Some(contact(
                "Trịnh Tấn Công",
                "024 3999 0100",
                "doido@demo.example.gov.vn",
            )),
            contact_backup: None,
            is_24x7: false,
            established_decision_no: None,
            established_on: None,
        },
    )
    .await?;
    for name in ["Trịnh Tấn Công", "Mai Khai Thác"] {
        store::teams::add_member(
            db,
            &all,
            red.id,
            &MemberDraft {
                full_name: name.into(),
                title: "Chuyên gia kiểm thử".into(),
                user_id: user_ids.get(name).copied(),
                employment: Employment::Outsourced,
                field_of_study: Some(FieldOfStudy::Infosec),
                degree_level: Some(DegreeLevel::Bachelor),
                expert_groups: vec![ExpertGroup::Ktkt],
                skills: vec!["Kiểm tra, đánh giá an toàn ứng dụng Web".into()],
                certificates: vec![cert("OSCP", "OffSec", None)],
            },
            today,
        )
        .await?;
    }
    let provincial = store::teams::create(
        db,
        &all,
        province.id,
        &TeamDraft {
            org_id: None,
            name: "Đội ứng cứu sự cố tỉnh Demo".into(),
            side: Side::Blue,
            description: String::new(),
            contact_primary: Some(contact(
                "Hoàng Văn Tỉnh",
                "0208 3888 001",
                "ucsc@tinhdemo.example.gov.vn",
            )),
            contact_backup: None,
            is_24x7: false,
            established_decision_no: Some("88/QĐ-UBND".into()),
            established_on: Some(days_ago(500)),
        },
    )
    .await?;
    for name in ["Hoàng Văn Tỉnh", "Lý Thị Huyện"] {
        store::teams::add_member(
            db,
            &all,
            provincial.id,
            &MemberDraft {
                full_name: name.into(),
                title: "Chuyên viên Sở KH&CN".into(),
                user_id: None,
                employment: Employment::InHouse,
                field_of_study: Some(FieldOfStudy::It),
                degree_level: Some(DegreeLevel::Bachelor),
                expert_groups: vec![ExpertGroup::Qlattt],
                skills: vec![],
                certificates: vec![cert("Quản trị ATTT", "NCSC", Some(days_ago(-300)))],
            },
            today,
        )
        .await?;
    }

    // The blue team's self-assessment of this year, so that `/maturity` has a team to
    // show from the start: organisation and processes mostly at 3 (explicit,
    // approved), people and tools at 2, as a young team would assess itself.
    let framework = crate::maturity::Framework::builtin();
    let parameters = framework
        .parameters
        .iter()
        .map(|p| store::maturity::ParameterLevel {
            code: p.code.clone(),
            level: match p.category() {
                "O" | "P" => 3,
                _ => 2,
            },
            evidence: match p.code.as_str() {
                "O-1" => "Quyết định 45/QĐ-TTCNTT thành lập đội ứng cứu sự cố".into(),
                "P-14" => "Quy trình báo cáo sự cố theo mẫu 03/04 Thông tư 20/2017".into(),
                _ => String::new(),
            },
        })
        .collect();
    store::maturity::put_assessment(
        db,
        &all,
        blue.id,
        today.year(),
        &store::maturity::AssessmentWrite {
            method: crate::maturity::AssessmentMethod::SelfAssessment,
            assessor: "Lê Minh Ứng Cứu (trưởng nhóm)".into(),
            assessed_on: Some(days_ago(10)),
            framework: store::maturity::FrameworkKey {
                id: framework.id.clone(),
                version: framework.version,
            },
            parameters,
            notes: "Tự đánh giá năng lực năm nay (dữ liệu mẫu)".into(),
        },
        user_ids
            .get("Nguyễn Văn Tổ Chức")
            .copied()
            .unwrap_or_else(uuid::Uuid::nil),
        Utc::now(),
    )
    .await?;

    // A planned drill of the IT centre (so that its responders see it; the ministry's
    // committee and judges see their units' drills), on the shipped ransomware
    // scenario when the library has it.
    let shipped = store::scenarios::list(
        db,
        &all,
        &store::scenarios::ScenarioFilter {
            q: Some("ransomware-public-service-portal".into()),
            ..Default::default()
        },
    )
    .await?;
    if let Some(found) = shipped.first() {
        let loaded = store::scenarios::get(db, &all, found.id).await?;
        store::drills::create(
            db,
            store::drills::NewDrill {
                org_id: it_centre.id,
                scenario_id: loaded.summary.id,
                scenario_version: loaded.version.version,
                scenario: &loaded.scenario,
                title: "Diễn tập ứng cứu sự cố mã độc tống tiền Cổng dịch vụ công".into(),
                kind: DrillKind::Functional,
                scale: DrillScale::Internal,
                speed: 1.0,
                system_ids: vec![portal.id, data_centre.id],
                teams: vec![(blue.id, Side::Blue), (red.id, Side::Red)],
                slots: Default::default(),
                created_by: user_ids.get("Nguyễn Văn Tổ Chức").copied(),
            },
            Utc::now(),
        )
        .await?;
    }
    Ok(())
}
