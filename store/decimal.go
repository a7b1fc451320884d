package store

import (
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgtype"
)

// Decimal is a number as its decimal text ("3.5", "-0.25", "1e3"), for a numeric
// column: Postgres reads the text itself, so no digit goes through a float.
type Decimal string

// NumericValue lets pgx write a Decimal to a numeric column (COPY included); a nil
// *Decimal is NULL. It is a pointer method because pgx hands it the nullable field.
func (d *Decimal) NumericValue() (pgtype.Numeric, error) {
	var n pgtype.Numeric
	if d == nil {
		return n, nil
	}
	if err := n.Scan(string(*d)); err != nil {
		return n, fmt.Errorf("decimal %q: %w", string(*d), err)
	}
	return n, nil
}

// ScanNumeric lets pgx read a numeric column into a Decimal.
func (d *Decimal) ScanNumeric(n pgtype.Numeric) error {
	if !n.Valid {
		return fmt.Errorf("decimal: NULL (scan into a *Decimal pointer for a nullable column)")
	}
	if n.NaN || n.InfinityModifier != pgtype.Finite {
		return fmt.Errorf("decimal: %v is not a finite number", n)
	}
	// Written as Postgres writes it (numeric::text): digits, a point, no exponent.
	digits := n.Int.String()
	neg := strings.HasPrefix(digits, "-")
	digits = strings.TrimPrefix(digits, "-")
	switch {
	case n.Exp >= 0:
		digits += strings.Repeat("0", int(n.Exp))
	default:
		frac := int(-n.Exp)
		if len(digits) <= frac {
			digits = strings.Repeat("0", frac-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-frac] + "." + digits[len(digits)-frac:]
	}
	if neg {
		digits = "-" + digits
	}
	*d = Decimal(digits)
	return nil
}
