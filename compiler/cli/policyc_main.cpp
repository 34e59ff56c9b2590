// policyc: placeholder entry point until the CLI lands (see compiler/driver).
int main() { return 1; }
