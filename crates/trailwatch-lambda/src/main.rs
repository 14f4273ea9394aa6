//! `bootstrap`: the trailwatch Lambda for the `provided.al2023` runtime.
//! Builds the AWS clients once, then serves invocations.

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;
use trailwatch_lambda::{handle, App, Settings};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_current_span(false)
        .without_time()
        .init();
    let settings =
        Settings::from_env().inspect_err(|e| tracing::error!(error = %e, "bad configuration"))?;
    let sdk = trailwatch_aws::load_sdk_config().await;
    let app = App::new(&sdk, settings)
        .await
        .inspect_err(|e| tracing::error!(error = %e, "cannot start"))?;
    let app = &app;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        handle(app, event).await
    }))
    .await
}
