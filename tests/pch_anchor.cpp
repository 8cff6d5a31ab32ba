// The translation unit that builds the test programs' precompiled Catch2 header (see
// tests/CMakeLists.txt); it has no code of its own.
