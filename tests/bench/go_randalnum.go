// go_randalnum.go is the baseline for bench_sprig_rand / BENCHMARKS.md: a random
// alphanumeric string drawn the way Sprig 3.2.3 does (goutils.CryptoRandomAlphaNumeric:
// one crypto/rand.Int per candidate code point in ' '..'z', keeping letters and digits).
//
//	go build -o /tmp/go_randalnum go_randalnum.go && /tmp/go_randalnum 1000000
package main

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"os"
	"strconv"
	"unicode"
)

func main() {
	n, _ := strconv.Atoi(os.Args[1])
	buf := make([]rune, 0, n)
	gap := big.NewInt('z' + 1 - ' ')
	for len(buf) < n {
		v, err := rand.Int(rand.Reader, gap)
		if err != nil {
			panic(err)
		}
		ch := rune(v.Int64()) + ' '
		if unicode.IsLetter(ch) || unicode.IsDigit(ch) {
			buf = append(buf, ch)
		}
	}
	fmt.Print(string(buf))
}
