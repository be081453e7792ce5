#include <cstdio>
int main() { std::puts("modelbridge " MB_VERSION); return 0; }
