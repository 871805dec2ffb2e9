//! `GET /open-apis/contact/v3/users/:user_id` (the reference page contact-v3/user/get): a user
//! the id names (41012 otherwise) and the app may see (its availability is its contact range:
//! 41050 otherwise), with names from the world file.

use super::call::{Call, Reply, Serve};
use crate::error::ApiError;
use crate::service::caller::USER_ID_SCOPE;
use crate::state::AppState;
use crate::world::App;
use larkfeed_model::contact::{Avatar, ContactUser, GetUserResponse};
use larkfeed_model::endpoint::{self as ep, PathParam, UserIds};
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
            user: ContactUser {
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
            },
        })
    }
}
