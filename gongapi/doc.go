// Package gongapi speaks Gong's public REST API (v2): its JSON types, authentication,
// retries, error classes and cursor pagination.
//
// It knows nothing of Postgres. Callers that must count requests somewhere durable,
// and pace them with other processes, inject a Budget (each attempt gets a slot and a
// send time); callers that authenticate some other way than an access key inject an
// Authorizer.
package gongapi
