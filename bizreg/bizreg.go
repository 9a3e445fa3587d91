// Package bizreg checks Korean business registration numbers (사업자등록번호):
// ten digits, the last a check digit over the first nine. Producers need a
// well-formed one before they are paid (the commission tax invoices are issued
// against it).
package bizreg

// weights are the National Tax Service's multipliers for digits 1..9.
var weights = [9]int{1, 3, 7, 1, 3, 7, 1, 3, 5}

// Valid reports whether s is ten ASCII digits whose check digit matches:
// sum(d[i] * w[i]) + floor(d[8] * 5 / 10), and d[9] = (10 - sum % 10) % 10.
func Valid(s string) bool {
	if len(s) != 10 {
		return false
	}
	var d [10]int
	for i := 0; i < 10; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
		d[i] = int(s[i] - '0')
	}
	sum := 0
	for i, w := range weights {
		sum += d[i] * w
	}
	sum += d[8] * 5 / 10
	return (10-sum%10)%10 == d[9]
}

// Normalize drops the dashes people write (123-45-67890).
func Normalize(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '-' {
			out = append(out, s[i])
		}
	}
	return string(out)
}
