//! How the store core runs a statement on either backend: [`Db`] is one connection (SQLite's, or
//! a PostgreSQL client or transaction), [`Sql`] one statement in each dialect (usually the same
//! text: both take `$1`-style parameters), [`Arg`] one parameter, [`Get`] one row. An
//! [`Engine`] runs an operation written against `Db` the way its backend runs work: the SQLite
//! writer thread with group commit, or a PostgreSQL transaction from the pool.
//!
//! SQLite reads `$1` as a named parameter and numbers named parameters in the order they first
//! appear, so a statement's parameters must first appear as `$1`, `$2`, … in that order (checked
//! when a statement is prepared in debug builds).

use super::{corrupt, StoreError, StoreResult};
use futures_util::future::BoxFuture;
use larkfeed_model::ids::IdError;
use std::future::Future;

/// One statement: its SQLite text and its PostgreSQL text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sql {
    pub lite: &'static str,
    pub pg: &'static str,
}

impl Sql {
    /// The same text in both dialects.
    pub const fn same(text: &'static str) -> Sql {
        Sql {
            lite: text,
            pg: text,
        }
    }

    /// A text for each dialect.
    pub const fn each(lite: &'static str, pg: &'static str) -> Sql {
        Sql { lite, pg }
    }
}

/// One parameter. A list is a JSON array for SQLite (read with `json_each`) and an array for
/// PostgreSQL (read with `unnest`).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Arg<'a> {
    Null,
    Int(i64),
    Text(&'a str),
    Strs(&'a [&'a str]),
    Strings(&'a [String]),
    Ints(&'a [i64]),
}

impl From<i64> for Arg<'_> {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}

impl From<Option<i64>> for Arg<'_> {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Arg::Null, Arg::Int)
    }
}

impl From<bool> for Arg<'_> {
    fn from(v: bool) -> Self {
        Arg::Int(i64::from(v))
    }
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(v: &'a str) -> Self {
        Arg::Text(v)
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(v: &'a String) -> Self {
        Arg::Text(v)
    }
}

impl<'a> From<Option<&'a str>> for Arg<'a> {
    fn from(v: Option<&'a str>) -> Self {
        v.map_or(Arg::Null, Arg::Text)
    }
}

impl<'a> From<&'a Option<String>> for Arg<'a> {
    fn from(v: &'a Option<String>) -> Self {
        v.as_deref().into()
    }
}

impl<'a> From<&'a [String]> for Arg<'a> {
    fn from(v: &'a [String]) -> Self {
        Arg::Strings(v)
    }
}

impl<'a> From<&'a Vec<String>> for Arg<'a> {
    fn from(v: &'a Vec<String>) -> Self {
        Arg::Strings(v)
    }
}

impl<'a> From<&'a [&'a str]> for Arg<'a> {
    fn from(v: &'a [&'a str]) -> Self {
        Arg::Strs(v)
    }
}

impl<'a> From<&'a [i64]> for Arg<'a> {
    fn from(v: &'a [i64]) -> Self {
        Arg::Ints(v)
    }
}

/// An id is bound as its text.
macro_rules! id_args {
    ($($id:ty),*) => {$(
        impl<'a> From<&'a $id> for Arg<'a> {
            fn from(v: &'a $id) -> Self {
                Arg::Text(v.as_str())
            }
        }

        impl<'a> From<Option<&'a $id>> for Arg<'a> {
            fn from(v: Option<&'a $id>) -> Self {
                v.map_or(Arg::Null, |v| Arg::Text(v.as_str()))
            }
        }

        impl<'a> From<&'a Option<$id>> for Arg<'a> {
            fn from(v: &'a Option<$id>) -> Self {
                v.as_ref().into()
            }
        }
    )*};
}

id_args!(
    larkfeed_model::AppId,
    larkfeed_model::BizId,
    larkfeed_model::CardId,
    larkfeed_model::ChatId,
    larkfeed_model::MessageId,
    larkfeed_model::ThreadId,
    larkfeed_model::UserId
);

/// A list of ids (or strings) as the texts a list parameter takes.
pub(crate) fn texts<T: std::ops::Deref<Target = str>>(ids: &[T]) -> Vec<&str> {
    ids.iter().map(|id| &**id).collect()
}

/// The parameters of a statement: `args![a, b]` is `[Arg::from(a), Arg::from(b)]`.
macro_rules! args {
    ($($a:expr),* $(,)?) => {
        [$($crate::store::db::Arg::from($a)),*]
    };
}
pub(crate) use args;

impl rusqlite::ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{Null, ToSqlOutput};
        let json = |list: Result<String, serde_json::Error>| {
            list.map(ToSqlOutput::from)
                .map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))
        };
        match *self {
            Arg::Null => Ok(ToSqlOutput::from(Null)),
            Arg::Int(v) => Ok(ToSqlOutput::from(v)),
            Arg::Text(v) => Ok(ToSqlOutput::from(v)),
            Arg::Strs(v) => json(serde_json::to_string(v)),
            Arg::Strings(v) => json(serde_json::to_string(v)),
            Arg::Ints(v) => json(serde_json::to_string(v)),
        }
    }
}

impl tokio_postgres::types::ToSql for Arg<'_> {
    fn to_sql(
        &self,
        ty: &tokio_postgres::types::Type,
        out: &mut bytes::BytesMut,
    ) -> Result<tokio_postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        self.to_sql_checked(ty, out)
    }

    fn accepts(_: &tokio_postgres::types::Type) -> bool {
        true
    }

    /// Each kind of value checks the column's type as its own type would.
    fn to_sql_checked(
        &self,
        ty: &tokio_postgres::types::Type,
        out: &mut bytes::BytesMut,
    ) -> Result<tokio_postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match *self {
            Arg::Null => Ok(tokio_postgres::types::IsNull::Yes),
            Arg::Int(v) => v.to_sql_checked(ty, out),
            Arg::Text(v) => v.to_sql_checked(ty, out),
            Arg::Strs(v) => v.to_sql_checked(ty, out),
            Arg::Strings(v) => v.to_sql_checked(ty, out),
            Arg::Ints(v) => v.to_sql_checked(ty, out),
        }
    }
}

/// One row, read by column position, whichever backend it came from.
pub(crate) trait Get {
    fn int(&self, at: usize) -> StoreResult<i64>;
    fn opt_int(&self, at: usize) -> StoreResult<Option<i64>>;
    fn text(&self, at: usize) -> StoreResult<String>;
    fn opt_text(&self, at: usize) -> StoreResult<Option<String>>;
    /// The column as JSON: a number, a string or null (for snapshots).
    fn value(&self, at: usize) -> StoreResult<serde_json::Value>;
}

impl dyn Get + '_ {
    /// A 0/1 column as a flag.
    pub fn flag(&self, at: usize) -> StoreResult<bool> {
        Ok(self.int(at)? != 0)
    }

    /// An id column, its kind checked as it is read.
    pub fn id<T: std::str::FromStr<Err = IdError>>(&self, at: usize) -> StoreResult<T> {
        self.text(at)?.parse().map_err(corrupt)
    }

    pub fn opt_id<T: std::str::FromStr<Err = IdError>>(&self, at: usize) -> StoreResult<Option<T>> {
        self.opt_text(at)?
            .map(|t| t.parse().map_err(corrupt))
            .transpose()
    }

    /// A column of JSON, parsed.
    pub fn json<T: serde::de::DeserializeOwned>(&self, at: usize) -> StoreResult<T> {
        serde_json::from_str(&self.text(at)?).map_err(corrupt)
    }
}

impl Get for rusqlite::Row<'_> {
    fn int(&self, at: usize) -> StoreResult<i64> {
        Ok(self.get(at)?)
    }
    fn opt_int(&self, at: usize) -> StoreResult<Option<i64>> {
        Ok(self.get(at)?)
    }
    fn text(&self, at: usize) -> StoreResult<String> {
        Ok(self.get(at)?)
    }
    fn opt_text(&self, at: usize) -> StoreResult<Option<String>> {
        Ok(self.get(at)?)
    }
    fn value(&self, at: usize) -> StoreResult<serde_json::Value> {
        use rusqlite::types::ValueRef;
        Ok(match self.get_ref(at)? {
            ValueRef::Null => serde_json::Value::Null,
            ValueRef::Integer(i) => i.into(),
            ValueRef::Real(f) => f.into(),
            ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned().into(),
            ValueRef::Blob(b) => hex::encode(b).into(),
        })
    }
}

impl Get for tokio_postgres::Row {
    fn int(&self, at: usize) -> StoreResult<i64> {
        self.try_get(at).map_err(corrupt)
    }
    fn opt_int(&self, at: usize) -> StoreResult<Option<i64>> {
        self.try_get(at).map_err(corrupt)
    }
    fn text(&self, at: usize) -> StoreResult<String> {
        self.try_get(at).map_err(corrupt)
    }
    fn opt_text(&self, at: usize) -> StoreResult<Option<String>> {
        self.try_get(at).map_err(corrupt)
    }
    fn value(&self, at: usize) -> StoreResult<serde_json::Value> {
        use tokio_postgres::types::Type;
        let column = &self.columns()[at];
        Ok(
            if [Type::INT8, Type::INT4, Type::INT2].contains(column.type_()) {
                self.opt_int(at)?
                    .map_or(serde_json::Value::Null, Into::into)
            } else {
                self.opt_text(at)?
                    .map_or(serde_json::Value::Null, Into::into)
            },
        )
    }
}

/// A row reader for [`Db::rows`]: backend-neutral, so each row type is read in one place.
pub(crate) type Read<T> = fn(&dyn Get) -> StoreResult<T>;

/// One connection the core runs statements on.
pub(crate) enum Db<'a> {
    /// SQLite: the writer's connection inside its transaction, or a reader's.
    Lite(&'a mut rusqlite::Connection),
    /// A PostgreSQL connection from the pool, outside a transaction.
    Pg(&'a deadpool_postgres::Client),
    /// A PostgreSQL transaction.
    PgTx(&'a deadpool_postgres::Transaction<'a>),
}

/// A statement from SQLite's cache, with its parameters checked in debug builds.
fn lite_statement<'c>(
    conn: &'c rusqlite::Connection,
    sql: &str,
) -> StoreResult<rusqlite::CachedStatement<'c>> {
    let stmt = conn.prepare_cached(sql)?;
    if cfg!(debug_assertions) {
        for i in 1..=stmt.parameter_count() {
            let name = stmt.parameter_name(i);
            if name.is_some_and(|n| n != format!("${i}")) {
                return Err(StoreError::Backend(format!(
                    "parameter {i} of {sql:?} is {name:?}: number them $1, $2, … in order"
                )));
            }
        }
    }
    Ok(stmt)
}

/// Every row of a SQLite statement, read.
fn lite_rows<T>(
    stmt: &mut rusqlite::Statement<'_>,
    args: &[Arg<'_>],
    read: impl Fn(&dyn Get) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(read(r)?);
    }
    Ok(out)
}

fn pg_args<'a>(args: &'a [Arg<'a>]) -> Vec<&'a (dyn tokio_postgres::types::ToSql + Sync)> {
    args.iter()
        .map(|a| a as &(dyn tokio_postgres::types::ToSql + Sync))
        .collect()
}

/// PostgreSQL's refusal as its own message (the driver's `Display` says only "db error").
fn pg_error(e: tokio_postgres::Error) -> StoreError {
    match e.as_db_error() {
        Some(db) => StoreError::Backend(db.message().to_string()),
        None => StoreError::Backend(e.to_string()),
    }
}

async fn pg_rows<C: deadpool_postgres::GenericClient, T>(
    c: &C,
    sql: &str,
    args: &[Arg<'_>],
    read: impl Fn(&dyn Get) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let stmt = c.prepare_cached(sql).await.map_err(pg_error)?;
    let rows = c.query(&stmt, &pg_args(args)).await.map_err(pg_error)?;
    rows.iter().map(|r| read(r)).collect()
}

async fn pg_exec<C: deadpool_postgres::GenericClient>(
    c: &C,
    sql: &str,
    args: &[Arg<'_>],
) -> StoreResult<u64> {
    let stmt = c.prepare_cached(sql).await.map_err(pg_error)?;
    c.execute(&stmt, &pg_args(args)).await.map_err(pg_error)
}

impl Db<'_> {
    pub fn is_pg(&self) -> bool {
        !matches!(self, Db::Lite(_))
    }

    /// Runs a statement; how many rows it changed.
    pub async fn exec(&mut self, sql: &Sql, args: &[Arg<'_>]) -> StoreResult<u64> {
        match self {
            Db::Lite(c) => {
                Ok(lite_statement(c, sql.lite)?.execute(rusqlite::params_from_iter(args))? as u64)
            }
            Db::Pg(c) => pg_exec(*c, sql.pg, args).await,
            Db::PgTx(t) => pg_exec(*t, sql.pg, args).await,
        }
    }

    /// Runs a query; each row read by `read`.
    pub async fn rows<T: Send>(
        &mut self,
        sql: &Sql,
        args: &[Arg<'_>],
        read: Read<T>,
    ) -> StoreResult<Vec<T>> {
        match self {
            Db::Lite(c) => {
                let mut stmt = lite_statement(c, sql.lite)?;
                lite_rows(&mut stmt, args, read)
            }
            Db::Pg(c) => pg_rows(*c, sql.pg, args, read).await,
            Db::PgTx(t) => pg_rows(*t, sql.pg, args, read).await,
        }
    }

    /// The first row of a query, read, if there is one.
    pub async fn row<T: Send>(
        &mut self,
        sql: &Sql,
        args: &[Arg<'_>],
        read: Read<T>,
    ) -> StoreResult<Option<T>> {
        match self {
            Db::Lite(c) => {
                let mut stmt = lite_statement(c, sql.lite)?;
                let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
                rows.next()?.map(|r| read(r)).transpose()
            }
            _ => Ok(self.rows(sql, args, read).await?.into_iter().next()),
        }
    }

    /// Runs a statement made at run time (not kept in the statement cache), as `exec` does.
    pub async fn exec_text(&mut self, sql: &str, args: &[Arg<'_>]) -> StoreResult<u64> {
        match self {
            Db::Lite(c) => Ok(c.execute(sql, rusqlite::params_from_iter(args))? as u64),
            Db::Pg(c) => c.execute(sql, &pg_args(args)).await.map_err(pg_error),
            Db::PgTx(t) => t.execute(sql, &pg_args(args)).await.map_err(pg_error),
        }
    }

    /// A query made at run time, as `rows` does.
    pub async fn rows_text<T: Send>(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
        read: impl Fn(&dyn Get) -> StoreResult<T> + Send,
    ) -> StoreResult<Vec<T>> {
        match self {
            Db::Lite(c) => {
                let mut stmt = c.prepare(sql)?;
                lite_rows(&mut stmt, args, read)
            }
            Db::Pg(c) => {
                let rows = c.query(sql, &pg_args(args)).await.map_err(pg_error)?;
                rows.iter().map(|r| read(r)).collect()
            }
            Db::PgTx(t) => {
                let rows = t.query(sql, &pg_args(args)).await.map_err(pg_error)?;
                rows.iter().map(|r| read(r)).collect()
            }
        }
    }

    /// Holds the key made of `parts` until the transaction ends, so racing writers of one key
    /// queue. SQLite has one writer, which already runs one transaction at a time: nothing to
    /// take, and no key is made.
    pub async fn lock(&mut self, parts: &[&str]) -> StoreResult<()> {
        const LOCK: Sql = Sql::each("", "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))");
        match self {
            Db::Lite(_) => Ok(()),
            _ => {
                let key = parts.concat();
                self.exec(&LOCK, &[Arg::Text(&key)]).await.map(drop)
            }
        }
    }

    /// Runs an insert and answers the id the database gave the row: SQLite's last row id (its
    /// `RETURNING` costs an ephemeral table per statement), PostgreSQL's `RETURNING`.
    pub async fn insert_id(&mut self, sql: &Sql, args: &[Arg<'_>]) -> StoreResult<i64> {
        match self {
            Db::Lite(c) => {
                lite_statement(c, sql.lite)?.execute(rusqlite::params_from_iter(args))?;
                Ok(c.last_insert_rowid())
            }
            _ => self
                .row(sql, args, |r| r.int(0))
                .await?
                .ok_or_else(|| StoreError::Backend("the insert returned no row".into())),
        }
    }
}

/// One operation of the core, run by an [`Engine`] on a connection with its arguments.
pub(crate) type Op<A, T> = for<'a, 'b> fn(&'a mut Db<'b>, &'a A) -> BoxFuture<'a, StoreResult<T>>;

/// How a backend runs the core's operations.
pub(crate) trait Engine: Send + Sync + 'static {
    /// Runs `op` in one write transaction, atomically with its checks. It may run more than
    /// once (SQLite runs a batch's work again, one caller at a time, after one of them failed),
    /// so it reads its arguments and keeps no state of its own.
    fn write<A, T>(&self, args: A, op: Op<A, T>) -> impl Future<Output = StoreResult<T>> + Send
    where
        A: Send + Sync + 'static,
        T: Send + 'static;

    /// Runs a read.
    fn read<A, T>(&self, args: A, op: Op<A, T>) -> impl Future<Output = StoreResult<T>> + Send
    where
        A: Send + Sync,
        T: Send;

    /// Runs a read whose queries all see one snapshot of the data.
    fn read_together<A, T>(
        &self,
        args: A,
        op: Op<A, T>,
    ) -> impl Future<Output = StoreResult<T>> + Send
    where
        A: Send + Sync,
        T: Send;
}
