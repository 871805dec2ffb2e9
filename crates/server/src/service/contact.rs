//! `GET /open-apis/contact/v3/users/:user_id` (the reference page contact-v3/user/get): a user
//! the id names (41012 otherwise) and the app may see (its availability is its contact range:
//! 41050 otherwise), with names from the world file; and `…/users/batch`, up to 50 of them.

use super::call::{Call, Reply, Serve};
use crate::error::ApiError;
use crate::service::caller::USER_ID_SCOPE;
use crate::state::AppState;
use crate::world::{App, User, World};
use larkfeed_model::contact::{Avatar, BatchUsersResponse, ContactUser, GetUserResponse};
use larkfeed_model::endpoint::{self as ep, PathParam, UserBatch, UserIds};
use larkfeed_model::ErrorCode;

impl Serve for ep::GetUser {
    async fn serve(state: &AppState, app: &App, call: Call<Self>) -> Reply<Self> {
        let PathParam(id) = call.path;
        let UserIds(id_type) = call.query;
        let world = &state.world;
        let user = world
            .resolve(app, id_type, &id)
            .ok_or_else(|| ApiError::new(ErrorCode::ContactUserIdInvalid))?;
        if !world.is_available(app, user) {
            return Err(ApiError::new(ErrorCode::ContactNoUserAuthority));
        }
        Ok(GetUserResponse {
            user: shown(world, app, user),
        })
    }
}

/// The users the app may see, in the order asked, each once; ids that name nobody, or someone
/// outside the app's contact range, are left out.
impl Serve for ep::BatchGetUsers {
    async fn serve(state: &AppState, app: &App, call: Call<Self>) -> Reply<Self> {
        let UserBatch { user_ids, id_type } = call.query;
        let world = &state.world;
        let mut seen = std::collections::HashSet::new();
        let items = user_ids
            .iter()
            .filter_map(|id| world.resolve(app, id_type, id))
            .filter(|user| world.is_available(app, user) && seen.insert(&user.user_id))
            .map(|user| shown(world, app, user))
            .collect();
        Ok(BatchUsersResponse { items })
    }
}

/// A user as the contact API shows them to `app`: its ids, `user_id` only with its field scope.
fn shown(world: &World, app: &App, user: &User) -> ContactUser {
    ContactUser {
        union_id: world.union_id(app, user),
        user_id: app
            .scopes
            .contains(USER_ID_SCOPE)
            .then(|| user.user_id.to_string()),
        open_id: world.open_id(app, user),
        name: user.name.clone(),
        en_name: user.name.clone(),
        email: None,
        avatar: Avatar::default(),
    }
}
