/* bench_analyze.c — placeholder; the analyzer benchmark replaces it. */
int main(void)
{
    return 0;
}
