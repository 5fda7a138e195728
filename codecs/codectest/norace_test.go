//go:build !race

package codectest_test

const raceBuild = false
