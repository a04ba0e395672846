"""The churn-risk model: observations, features, training, reasons, scoring."""
