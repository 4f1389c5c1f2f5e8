//! The event-driven engine: `Engine::on_event(Event) -> Vec<Action>`.
