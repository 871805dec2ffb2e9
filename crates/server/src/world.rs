//! The world the server simulates: one tenant, its users and its apps (`FACTS.md` §0).
//!
//! A world is configuration, not state: it comes from a TOML file (`--world`) or the built-in
//! default, and every id in it is derived deterministically, so the same file always yields the
//! same `app_id`s, `open_id`s and `union_id`s. A user's `open_id` differs per app, the `union_id`
//! per app developer, the `user_id` is one per tenant.

use larkfeed_model::{AppId, UserId, UserIdType};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// The world's indexes, looked up for every user a call names: aHash (SipHash cost about 700
/// instructions per lookup).
type HashMap<K, V> = std::collections::HashMap<K, V, ahash::RandomState>;
use std::path::Path;
use std::sync::Arc;

/// Every scope larkfeed checks; the default world's apps hold them all.
pub const ALL_SCOPES: &[&str] = &[
    "im:app_feed_card:write",
    "im:message",
    "im:message:send_as_bot",
    "im:message:update",
    "im:chat",
    "im:datasync.feed_card.time_sensitive:write",
    "contact:user.employee_id:readonly",
    "im:message.p2p_msg:readonly",
    "im:message.group_at_msg:readonly",
    "im:message.group_msg",
    "cardkit:card:write",
    "contact:contact.base:readonly",
    "im:resource",
];

/// The world file as written (`--world FILE`). See `docs/world.example.toml`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WorldFile {
    pub tenant: TenantFile,
    #[serde(default)]
    pub users: Vec<UserFile>,
    #[serde(default)]
    pub apps: Vec<AppFile>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TenantFile {
    pub name: String,
    pub tenant_key: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UserFile {
    pub name: String,
    pub user_id: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AppFile {
    pub name: String,
    pub app_id: Option<String>,
    pub app_secret: Option<String>,
    pub developer: Option<String>,
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    /// User names or user_ids who may see the app; absent means everyone.
    pub availability: Option<Vec<String>>,
    #[serde(default = "yes")]
    pub bot: bool,
    /// Where events (`im.message.receive_v1`) are posted.
    pub event_url: Option<String>,
    /// Where card actions are posted; absent means `event_url`.
    pub callback_url: Option<String>,
    pub encrypt_key: Option<String>,
    pub verification_token: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize)]
pub struct Tenant {
    pub name: String,
    pub tenant_key: String,
    /// Made at run time (`POST /_larkfeed/tenants`), not the server's own world: its tokens
    /// and long-connection URLs carry its key, so the server knows whose they are.
    #[serde(skip)]
    pub made_at_run_time: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub name: String,
    pub user_id: UserId,
    pub email: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct App {
    pub name: String,
    pub app_id: AppId,
    pub app_secret: String,
    pub developer: String,
    pub scopes: BTreeSet<String>,
    /// Indexes into `World::users`; `None` means every user.
    #[serde(skip)]
    pub availability: Option<BTreeSet<usize>>,
    pub bot: bool,
    /// The app's endpoints as the world file sets them; run-time changes live in the store
    /// (see `platform::endpoints`).
    pub event_url: Option<String>,
    pub callback_url: Option<String>,
    pub encrypt_key: Option<String>,
    pub verification_token: Option<String>,
}

impl App {
    pub fn has_any_scope(&self, scopes: &[&str]) -> bool {
        scopes.iter().any(|s| self.scopes.contains(*s))
    }
}

/// The parts of a world that stored data refers to: tenant, apps and users by id (with names).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub tenant_key: String,
    pub apps: BTreeMap<String, String>,
    pub users: BTreeMap<String, String>,
}

/// A loaded world with its id indexes.
#[derive(Debug, Clone)]
pub struct World {
    /// What it was made of: a tenant made at run time copies it.
    pub source: WorldFile,
    pub tenant: Tenant,
    pub users: Vec<User>,
    pub apps: Vec<Arc<App>>,
    app_index: HashMap<AppId, usize>,
    user_id_index: HashMap<String, usize>,
    email_index: HashMap<String, usize>,
    /// open_id → (app index, user index)
    open_index: HashMap<String, (usize, usize)>,
    /// union_id → (developer, user index)
    union_index: HashMap<String, (String, usize)>,
    /// Every app's (open_id, union_id) of every user, computed once: `[app][user]`.
    ids: Vec<Vec<(String, String)>>,
}

fn derive_open_id(app: &App, user_id: &str) -> String {
    format!("ou_{}", digest_hex(&["open_id", &app.app_id, user_id], 32))
}

fn digest_hex(parts: &[&str], len: usize) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    hex::encode(h.finalize())[..len].to_string()
}

#[derive(Debug, thiserror::Error)]
pub enum WorldError {
    #[error("cannot read world file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("world file {path} is not valid: {source}")]
    Parse {
        path: String,
        source: Box<toml::de::Error>,
    },
    #[error("world is not valid: {0}")]
    Invalid(String),
}

impl World {
    pub fn load(path: &Path) -> Result<World, WorldError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| WorldError::Read {
            path: shown.clone(),
            source,
        })?;
        let file: WorldFile = toml::from_str(&text).map_err(|e| WorldError::Parse {
            path: shown,
            source: Box::new(e),
        })?;
        World::from_file(file)
    }

    pub fn from_toml(text: &str) -> Result<World, WorldError> {
        let file: WorldFile = toml::from_str(text).map_err(|e| WorldError::Parse {
            path: "<inline>".into(),
            source: Box::new(e),
        })?;
        World::from_file(file)
    }

    /// One tenant, three apps (two by the same developer, one by a partner with its bot off),
    /// six users; Frank is outside the first app's availability.
    pub fn default_world() -> World {
        World::from_toml(DEFAULT_WORLD).expect("the built-in world is valid")
    }

    /// A new tenant's world made of `file`: the same people and apps under a new random
    /// `tenant_key`, with ids, secrets and developers of its own (derived from the key), so
    /// nothing in it names anything of another tenant.
    pub fn new_tenant(file: &WorldFile) -> Result<World, WorldError> {
        use rand::Rng;
        let key = hex::encode(rand::thread_rng().gen::<[u8; 8]>());
        let mut file = file.clone();
        // An availability naming a user by an id the file set names them by name instead.
        for app in &mut file.apps {
            if let Some(list) = &mut app.availability {
                for who in list.iter_mut() {
                    if let Some(u) = file.users.iter().find(|u| u.user_id.as_ref() == Some(who)) {
                        *who = u.name.clone();
                    }
                }
            }
        }
        file.tenant.tenant_key = Some(key.clone());
        for user in &mut file.users {
            user.user_id = None;
            user.email = None;
        }
        for app in &mut file.apps {
            app.app_id = None;
            app.app_secret = Some(hex::encode(rand::thread_rng().gen::<[u8; 16]>()));
            app.developer = app.developer.as_ref().map(|d| format!("{d}-{key}"));
        }
        let mut world = World::from_file(file)?;
        world.tenant.made_at_run_time = true;
        Ok(world)
    }

    pub fn from_file(file: WorldFile) -> Result<World, WorldError> {
        let tenant_key = file
            .tenant
            .tenant_key
            .clone()
            .unwrap_or_else(|| digest_hex(&["tenant", &file.tenant.name], 16));
        let tenant = Tenant {
            name: file.tenant.name.clone(),
            tenant_key: tenant_key.clone(),
            made_at_run_time: false,
        };
        let domain: String = file
            .tenant
            .name
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_lowercase();
        let mut users = Vec::new();
        let mut user_id_index = HashMap::default();
        let mut email_index = HashMap::default();
        for u in &file.users {
            let user_id = u
                .user_id
                .clone()
                .unwrap_or_else(|| digest_hex(&["user", &tenant_key, &u.name], 8));
            let local: String = u
                .name
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_lowercase();
            let email = u
                .email
                .clone()
                .unwrap_or_else(|| format!("{local}@{domain}.example"));
            if user_id_index.insert(user_id.clone(), users.len()).is_some() {
                return Err(WorldError::Invalid(format!(
                    "two users share user_id {user_id}"
                )));
            }
            let user_id = UserId::parse(user_id)
                .map_err(|e| WorldError::Invalid(format!("user {:?}: user_id {e}", u.name)))?;
            email_index.insert(email.clone(), users.len());
            users.push(User {
                name: u.name.clone(),
                user_id,
                email,
            });
        }
        let mut apps = Vec::new();
        let mut app_index = HashMap::default();
        for a in &file.apps {
            let app_id = match &a.app_id {
                Some(text) => AppId::parse(text.as_str())
                    .map_err(|e| WorldError::Invalid(format!("app {:?}: app_id {e}", a.name)))?,
                None => AppId::with_suffix(&digest_hex(&["app", &tenant_key, &a.name], 16)),
            };
            let app_secret = a
                .app_secret
                .clone()
                .unwrap_or_else(|| digest_hex(&["secret", &app_id], 32));
            let availability = match &a.availability {
                None => None,
                Some(list) => {
                    let mut set = BTreeSet::new();
                    for who in list {
                        let idx = users
                            .iter()
                            .position(|u| &u.name == who || u.user_id.as_str() == who.as_str())
                            .ok_or_else(|| {
                                WorldError::Invalid(format!(
                                    "app {:?}: unknown user {who:?} in availability",
                                    a.name
                                ))
                            })?;
                        set.insert(idx);
                    }
                    Some(set)
                }
            };
            let scopes = match &a.scopes {
                Some(s) => s.iter().cloned().collect(),
                None => ALL_SCOPES.iter().map(|s| s.to_string()).collect(),
            };
            if app_index.insert(app_id.clone(), apps.len()).is_some() {
                return Err(WorldError::Invalid(format!(
                    "two apps share app_id {app_id}"
                )));
            }
            apps.push(Arc::new(App {
                name: a.name.clone(),
                app_id,
                app_secret,
                developer: a.developer.clone().unwrap_or_else(|| tenant_key.clone()),
                scopes,
                availability,
                bot: a.bot,
                event_url: a.event_url.clone(),
                callback_url: a.callback_url.clone(),
                encrypt_key: a.encrypt_key.clone(),
                verification_token: a.verification_token.clone(),
            }));
        }
        if apps.is_empty() {
            return Err(WorldError::Invalid("a world needs at least one app".into()));
        }
        let mut world = World {
            source: file.clone(),
            tenant,
            users,
            apps,
            app_index,
            user_id_index,
            email_index,
            open_index: HashMap::default(),
            union_index: HashMap::default(),
            ids: Vec::new(),
        };
        for ai in 0..world.apps.len() {
            let mut of_app = Vec::with_capacity(world.users.len());
            for ui in 0..world.users.len() {
                let open = derive_open_id(&world.apps[ai], &world.users[ui].user_id);
                world.open_index.insert(open.clone(), (ai, ui));
                let union = world.derive_union_id(&world.apps[ai], &world.users[ui]);
                world
                    .union_index
                    .insert(union.clone(), (world.apps[ai].developer.clone(), ui));
                of_app.push((open, union));
            }
            world.ids.push(of_app);
        }
        Ok(world)
    }

    pub fn app(&self, app_id: &str) -> Option<&Arc<App>> {
        self.app_index.get(app_id).map(|&i| &self.apps[i])
    }

    pub fn user(&self, user_id: &str) -> Option<&User> {
        self.user_id_index.get(user_id).map(|&i| &self.users[i])
    }

    fn user_index(&self, user: &User) -> usize {
        self.user_id_index[user.user_id.as_str()]
    }

    /// The ids of `user` as `app` sees them, from the table made at load time.
    fn ids(&self, app: &App, user: &User) -> &(String, String) {
        let ai = self.app_index[&app.app_id];
        &self.ids[ai][self.user_index(user)]
    }

    pub fn open_id(&self, app: &App, user: &User) -> String {
        self.ids(app, user).0.clone()
    }

    pub fn union_id(&self, app: &App, user: &User) -> String {
        self.ids(app, user).1.clone()
    }

    /// The open_id under which `app` sees the user `user_id`, whether or not the world still lists
    /// that user (a message stored before the world changed keeps its sender's open_id).
    pub fn open_id_of(&self, app: &App, user_id: &str) -> String {
        match self.user(user_id) {
            Some(user) => self.open_id(app, user),
            None => derive_open_id(app, user_id),
        }
    }

    /// The name the inspector shows for an app: its name, or its id once the world no longer
    /// lists it.
    pub fn app_name<'a>(&'a self, app_id: &'a str) -> &'a str {
        self.app(app_id).map_or(app_id, |a| a.name.as_str())
    }

    /// The name the inspector shows for a user: their name, or their id once the world no longer
    /// lists them.
    pub fn user_name<'a>(&'a self, user_id: &'a str) -> &'a str {
        self.user(user_id).map_or(user_id, |u| u.name.as_str())
    }

    fn derive_union_id(&self, app: &App, user: &User) -> String {
        format!(
            "on_{}",
            digest_hex(
                &[
                    "union_id",
                    &app.developer,
                    &self.tenant.tenant_key,
                    &user.user_id
                ],
                32
            )
        )
    }

    /// The open_id under which `viewer` sees the bot of the app `bot_app_id`.
    pub fn bot_open_id(&self, viewer: &App, bot_app_id: &str) -> String {
        format!(
            "ou_{}",
            digest_hex(&["bot_open_id", &viewer.app_id, bot_app_id], 32)
        )
    }

    /// The id of `user` as `app` sees it under `id_type`.
    pub fn id_of(&self, app: &App, user: &User, id_type: UserIdType) -> String {
        match id_type {
            UserIdType::OpenId => self.open_id(app, user),
            UserIdType::UnionId => self.union_id(app, user),
            UserIdType::UserId => user.user_id.to_string(),
        }
    }

    /// Finds the user an id names, as `app` would: an open_id of another app names nobody.
    pub fn resolve(&self, app: &App, id_type: UserIdType, id: &str) -> Option<&User> {
        let idx = match id_type {
            UserIdType::OpenId => {
                let (ai, ui) = *self.open_index.get(id)?;
                (self.apps[ai].app_id == app.app_id).then_some(ui)?
            }
            UserIdType::UnionId => {
                let (dev, ui) = self.union_index.get(id)?;
                (dev == &app.developer).then_some(*ui)?
            }
            UserIdType::UserId => *self.user_id_index.get(id)?,
        };
        Some(&self.users[idx])
    }

    /// Finds a user by any id: an open_id of any app, a union_id, a user_id or an email.
    pub fn find_user(&self, id: &str) -> Option<&User> {
        let idx = self
            .open_index
            .get(id)
            .map(|&(_, ui)| ui)
            .or_else(|| self.union_index.get(id).map(|(_, ui)| *ui))
            .or_else(|| self.user_id_index.get(id).copied())
            .or_else(|| self.email_index.get(id).copied())?;
        Some(&self.users[idx])
    }

    pub fn resolve_email(&self, email: &str) -> Option<&User> {
        self.email_index.get(email).map(|&i| &self.users[i])
    }

    pub fn is_available(&self, app: &App, user: &User) -> bool {
        match &app.availability {
            None => true,
            Some(set) => set.contains(&self.user_index(user)),
        }
    }

    /// What identifies this world's tenant, apps and users: kept in the database, so a later
    /// start with another world can say what changed.
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint {
            tenant_key: self.tenant.tenant_key.clone(),
            apps: self
                .apps
                .iter()
                .map(|a| (a.app_id.to_string(), a.name.clone()))
                .collect(),
            users: self
                .users
                .iter()
                .map(|u| (u.user_id.to_string(), u.name.clone()))
                .collect(),
        }
    }

    /// What a database made with the world `before` will miss or gain under this one, in words
    /// (empty when nothing that holds data changed).
    pub fn changes_since(&self, before: &Fingerprint) -> Vec<String> {
        let now = self.fingerprint();
        let mut said = Vec::new();
        if now.tenant_key != before.tenant_key {
            said.push(format!(
                "the tenant changed ({} → {})",
                before.tenant_key, now.tenant_key
            ));
        }
        for (what, old, new) in [
            ("apps", &before.apps, &now.apps),
            ("users", &before.users, &now.users),
        ] {
            let names = |ids: Vec<&String>, of: &BTreeMap<String, String>| {
                let shown: Vec<&str> = ids.iter().take(3).map(|id| of[*id].as_str()).collect();
                let more = ids.len().saturating_sub(3);
                let mut list = shown.join(", ");
                if more > 0 {
                    list.push_str(&format!(" and {more} more"));
                }
                list
            };
            let gone: Vec<&String> = old.keys().filter(|id| !new.contains_key(*id)).collect();
            if !gone.is_empty() {
                said.push(format!(
                    "{} {what} of the database's world are gone, their data unreachable ({})",
                    gone.len(),
                    names(gone, old)
                ));
            }
            let added: Vec<&String> = new.keys().filter(|id| !old.contains_key(*id)).collect();
            if !added.is_empty() {
                said.push(format!(
                    "{} {what} are new ({})",
                    added.len(),
                    names(added, new)
                ));
            }
        }
        said
    }

    /// What `GET /_larkfeed/world` shows: every app with its credentials and its view of each user.
    pub fn describe(&self) -> serde_json::Value {
        let apps: Vec<_> = self
            .apps
            .iter()
            .map(|app| {
                let users: Vec<_> = self
                    .users
                    .iter()
                    .map(|u| {
                        serde_json::json!({
                            "name": u.name,
                            "email": u.email,
                            "open_id": self.open_id(app, u),
                            "union_id": self.union_id(app, u),
                            "user_id": u.user_id,
                            "available": self.is_available(app, u),
                        })
                    })
                    .collect();
                serde_json::json!({
                    "name": app.name,
                    "app_id": app.app_id,
                    "app_secret": app.app_secret,
                    "developer": app.developer,
                    "scopes": app.scopes,
                    "bot": app.bot,
                    "event_url": app.event_url,
                    "callback_url": app.callback_url,
                    "encrypt_key": app.encrypt_key,
                    "verification_token": app.verification_token,
                    "users": users,
                })
            })
            .collect();
        serde_json::json!({ "tenant": self.tenant, "apps": apps })
    }
}

/// The built-in world; `docs/world.example.toml` documents the same shape.
pub const DEFAULT_WORLD: &str = r#"
[tenant]
name = "Larkfeed Demo"

[[users]]
name = "Alice Zhang"
[[users]]
name = "Bob Li"
[[users]]
name = "Carol Wang"
[[users]]
name = "David Chen"
[[users]]
name = "Eve Liu"
[[users]]
name = "Frank Zhao"

[[apps]]
name = "Demo Bot"
developer = "larkfeed-demo"
availability = ["Alice Zhang", "Bob Li", "Carol Wang", "David Chen", "Eve Liu"]

[[apps]]
name = "Ops Console"
developer = "larkfeed-demo"

[[apps]]
name = "Partner Tool"
developer = "partner"
bot = false
scopes = ["im:chat", "im:message"]
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_deterministic_and_scoped_as_the_platform_scopes_them() {
        let a = World::default_world();
        let b = World::default_world();
        assert_eq!(a.apps[0].app_id, b.apps[0].app_id);
        assert!(a.apps[0].app_id.starts_with("cli_"));
        let alice = &a.users[0];
        let (demo, ops, partner) = (&a.apps[0], &a.apps[1], &a.apps[2]);
        assert_ne!(
            a.open_id(demo, alice),
            a.open_id(ops, alice),
            "open_id differs per app"
        );
        assert_eq!(
            a.union_id(demo, alice),
            a.union_id(ops, alice),
            "union_id shared by one developer"
        );
        assert_ne!(
            a.union_id(demo, alice),
            a.union_id(partner, alice),
            "union_id differs across developers"
        );
        assert_eq!(a.open_id(demo, alice), b.open_id(&b.apps[0], &b.users[0]));
    }

    #[test]
    fn a_user_or_app_the_world_dropped_keeps_an_open_id_and_shows_under_its_id() {
        let w = World::default_world();
        let (app, alice) = (&w.apps[0], &w.users[0]);
        assert_eq!(w.open_id_of(app, &alice.user_id), w.open_id(app, alice));
        let gone = w.open_id_of(app, "gone_user");
        assert!(gone.starts_with("ou_") && gone.len() == 35, "{gone}");
        assert_eq!(gone, w.open_id_of(app, "gone_user"));
        assert_ne!(gone, w.open_id_of(&w.apps[1], "gone_user"));
        assert_eq!(w.user_name(&alice.user_id), alice.name);
        assert_eq!(w.user_name("gone_user"), "gone_user");
        assert_eq!(w.app_name(&app.app_id), app.name);
        assert_eq!(w.app_name("cli_gone"), "cli_gone");
    }

    #[test]
    fn resolve_respects_the_app() {
        let w = World::default_world();
        let alice = &w.users[0];
        let (demo, ops) = (&w.apps[0], &w.apps[1]);
        let open = w.open_id(demo, alice);
        assert_eq!(
            w.resolve(demo, UserIdType::OpenId, &open).unwrap().user_id,
            alice.user_id
        );
        assert!(w.resolve(ops, UserIdType::OpenId, &open).is_none());
        let union = w.union_id(demo, alice);
        assert!(w.resolve(ops, UserIdType::UnionId, &union).is_some());
        assert!(w.resolve(&w.apps[2], UserIdType::UnionId, &union).is_none());
    }

    #[test]
    fn default_world_has_a_user_outside_the_first_app() {
        let w = World::default_world();
        assert!(w.users.len() >= 5 && w.apps.len() >= 2);
        assert!(w.users.iter().any(|u| !w.is_available(&w.apps[0], u)));
    }

    #[test]
    fn a_changed_world_says_what_is_gone_and_what_is_new() {
        let before = World::default_world();
        let mut toml = String::from("[tenant]\nname = \"Other\"\n[[apps]]\nname = \"Solo\"\n");
        toml += "[[users]]\nname = \"Zed\"\n";
        let after = World::from_toml(&toml).unwrap();
        let said = after.changes_since(&before.fingerprint());
        let text = said.join("; ");
        assert!(text.contains("the tenant changed"), "{text}");
        assert!(
            text.contains("3 apps of the database's world are gone"),
            "{text}"
        );
        assert!(
            text.contains("6 users of the database's world are gone"),
            "{text}"
        );
        assert!(text.contains("and 3 more"), "{text}");
        assert!(text.contains("1 users are new (Zed)"), "{text}");
        assert!(before.changes_since(&before.fingerprint()).is_empty());
    }

    #[test]
    fn the_example_file_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/world.example.toml");
        let w = World::load(&path).unwrap();
        assert!(!w.apps.is_empty());
    }

    #[test]
    fn unknown_availability_user_is_an_error() {
        let err =
            World::from_toml("[tenant]\nname='x'\n[[apps]]\nname='a'\navailability=['nobody']\n")
                .unwrap_err();
        assert!(err.to_string().contains("nobody"));
    }
}
