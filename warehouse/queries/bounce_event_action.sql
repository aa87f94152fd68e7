UPDATE bounce_events SET action = $action WHERE event_key = $key;
