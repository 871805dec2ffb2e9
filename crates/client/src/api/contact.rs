//! Users of the tenant, as the app may see them.

use crate::{Client, Error};
use larkfeed_model::contact::ContactUser;
use larkfeed_model::endpoint::{GetUser, PathParam, UserIds};
use larkfeed_model::UserIdType;

impl Client {
    /// `GET /open-apis/contact/v3/users/:user_id`: a user named by an id of `id_type`.
    pub async fn get_user(&self, user_id: &str, id_type: UserIdType) -> Result<ContactUser, Error> {
        let answer = self
            .send::<GetUser>(&PathParam::new(user_id), &UserIds(id_type), &())
            .await?;
        Ok(answer.user)
    }
}
