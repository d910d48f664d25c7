"""hookcli: capture, inspect, replay and fabricate webhooks locally."""

__version__ = "0.1.0"
