//! Raw statements diesel prepares once per connection and reuses. A plain
//! `sql_query` is marked unsafe to cache, so it is parsed, planned and sent
//! in two round trips on every call; on the ticket-order path that cost a
//! fifth of the time. A statement here is a struct with a static query id:
//! SQL pieces with the binds between them, in order (a value used twice is
//! bound twice).

macro_rules! cached_sql {
    (
        $(#[$doc:meta])*
        $name:ident { $($field:ident : $ty:ty),* $(,)? }
        $first:literal $( ( $bind:ident : $st:ty ) $piece:literal )*
    ) => {
        $(#[$doc])*
        #[derive(diesel::query_builder::QueryId)]
        pub(crate) struct $name {
            $(pub $field: $ty),*
        }

        impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for $name {
            fn walk_ast<'b>(
                &'b self,
                mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
            ) -> diesel::QueryResult<()> {
                out.push_sql($first);
                $(
                    out.push_bind_param::<$st, _>(&self.$bind)?;
                    out.push_sql($piece);
                )*
                Ok(())
            }
        }

        impl diesel::query_builder::Query for $name {
            type SqlType = diesel::sql_types::Untyped;
        }
    };
}
pub(crate) use cached_sql;
