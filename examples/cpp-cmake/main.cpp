// wordfreq: counts words of a built-in text with the C++ standard library.
// The xx-rs "cpp-cmake" example: C++, CMake, a static libstdc++.
#include <algorithm>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "version.h"

int main() {
    const std::string text = "cross compile with xx rs and cmake and clang and lld";
    std::map<std::string, int> counts;
    std::istringstream words(text);
    for (std::string word; words >> word;) {
        ++counts[word];
    }
    std::vector<std::pair<std::string, int>> sorted(counts.begin(), counts.end());
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const auto &a, const auto &b) { return a.second > b.second; });
    std::cout << "wordfreq " << WORDFREQ_VERSION << ": most frequent \"" << sorted.front().first
              << "\" x" << sorted.front().second << ", " << counts.size() << " distinct words"
              << std::endl;
    return 0;
}
