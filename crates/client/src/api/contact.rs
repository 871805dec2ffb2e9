//! Users of the tenant, as the app may see them.

use crate::{Client, Error};
use larkfeed_model::contact::ContactUser;
use larkfeed_model::endpoint::{BatchGetUsers, GetUser, PathParam, UserBatch, UserIds};
use larkfeed_model::UserIdType;

impl Client {
    /// `GET /open-apis/contact/v3/users/:user_id`: a user named by an id of `id_type`.
    pub async fn get_user(&self, user_id: &str, id_type: UserIdType) -> Result<ContactUser, Error> {
        let answer = self
            .send::<GetUser>(&PathParam::new(user_id), &UserIds(id_type), &())
            .await?;
        Ok(answer.user)
    }

    /// `GET /open-apis/contact/v3/users/batch`: up to 50 users at once, in the order named; those
    /// the app may not see are left out.
    pub async fn batch_get_users(
        &self,
        user_ids: &[&str],
        id_type: UserIdType,
    ) -> Result<Vec<ContactUser>, Error> {
        let query = UserBatch {
            user_ids: user_ids.iter().map(|id| id.to_string()).collect(),
            id_type,
        };
        Ok(self.send::<BatchGetUsers>(&(), &query, &()).await?.items)
    }
}
