package store

import (
	"context"
	"fmt"
	"time"
)

// The generic CRM integrations with the schema of each object type, and the calls
// users associated with CRM objects by hand: entity tables (the shared upsert).

// CrmIntegration is one row of crm_integrations.
type CrmIntegration struct {
	ID            string  `db:"id"` // the same as integration_id
	IntegrationID string  `db:"integration_id"`
	OwnerEmail    *string `db:"owner_email"`
	Name          *string `db:"name"`
	Raw           []byte  `db:"raw"`
}

// CrmEntitySchemaField is one field of an object type of an integration: a row of
// crm_entity_schema_fields.
type CrmEntitySchemaField struct {
	ID               string     `db:"id"` // integration_id|object_type|name
	IntegrationID    string     `db:"integration_id"`
	ObjectType       string     `db:"object_type"`
	Name             string     `db:"name"`
	Label            *string    `db:"label"`
	Type             *string    `db:"type"`
	ReferenceTo      *string    `db:"reference_to"`
	LastModified     *time.Time `db:"last_modified"`
	IsDeleted        *bool      `db:"is_deleted"`
	OrderedValueList []byte     `db:"ordered_value_list,json"`
	Raw              []byte     `db:"raw"`
}

// CallManualCrmAssociation is one manual association of a call with CRM objects: a
// row of call_manual_crm_associations.
type CallManualCrmAssociation struct {
	ID                   string    `db:"id"` // call_id|created
	CallID               string    `db:"call_id"`
	UserID               *string   `db:"user_id"`
	Created              time.Time `db:"created"`
	AssociatedCrmObjects []byte    `db:"associated_crm_objects,json"`
	Raw                  []byte    `db:"raw"`
}

var (
	crmIntegrationEntity           = newEntity[CrmIntegration]("CRM integration", "crm_integrations")
	crmEntitySchemaFieldEntity     = newEntity[CrmEntitySchemaField]("CRM schema field", "crm_entity_schema_fields")
	callManualCrmAssociationEntity = newEntity[CallManualCrmAssociation]("manual CRM association", "call_manual_crm_associations")
)

// UpsertCrmIntegrations writes generic CRM integrations.
func (tx *Tx) UpsertCrmIntegrations(ctx context.Context, integrations []CrmIntegration) (UpsertResult, error) {
	return upsert(ctx, tx, crmIntegrationEntity, integrations)
}

// UpsertCrmEntitySchemaFields writes CRM schema fields.
func (tx *Tx) UpsertCrmEntitySchemaFields(ctx context.Context, fields []CrmEntitySchemaField) (UpsertResult, error) {
	return upsert(ctx, tx, crmEntitySchemaFieldEntity, fields)
}

// UpsertCallManualCrmAssociations writes manual associations of calls with CRM objects.
func (tx *Tx) UpsertCallManualCrmAssociations(ctx context.Context, assocs []CallManualCrmAssociation) (UpsertResult, error) {
	return upsert(ctx, tx, callManualCrmAssociationEntity, assocs)
}

// MarkCrmIntegrationsMissing soft-deletes the integrations not seen since notSeenSince
// (the start of a complete read of the CRM schema), and returns their ids.
func (tx *Tx) MarkCrmIntegrationsMissing(ctx context.Context, notSeenSince time.Time) ([]string, error) {
	ids, err := tx.markMissing(ctx, "crm_integrations", "true", notSeenSince)
	if err != nil {
		return nil, fmt.Errorf("mark missing CRM integrations: %w", err)
	}
	return ids, nil
}

// MarkCrmEntitySchemaFieldsMissing soft-deletes the fields of one object type of an
// integration not seen since notSeenSince (its schema was just read completely) and
// returns their row ids.
func (tx *Tx) MarkCrmEntitySchemaFieldsMissing(ctx context.Context, integrationID, objectType string, notSeenSince time.Time) ([]string, error) {
	ids, err := tx.markMissing(ctx, "crm_entity_schema_fields", "integration_id = $2 AND object_type = $3", notSeenSince, integrationID, objectType)
	if err != nil {
		return nil, fmt.Errorf("mark missing %s fields of CRM integration %s: %w", objectType, integrationID, err)
	}
	return ids, nil
}

// MarkCrmSchemaOfMissingIntegrations soft-deletes every field of integrations no
// longer listed (a complete read no longer reads their schema) and returns their row
// ids.
func (tx *Tx) MarkCrmSchemaOfMissingIntegrations(ctx context.Context, notSeenSince time.Time) ([]string, error) {
	ids, err := tx.markMissing(ctx, "crm_entity_schema_fields",
		"integration_id IN (SELECT integration_id FROM crm_integrations WHERE deleted_at IS NOT NULL)", notSeenSince)
	if err != nil {
		return nil, fmt.Errorf("mark the schema of missing CRM integrations: %w", err)
	}
	return ids, nil
}
