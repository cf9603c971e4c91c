/* braid-native-decode: greedy decoding of a fixed number of tokens through llama.cpp's C API, timed.
 *
 * This is the llama.cpp side of `cargo xtask bench-decode`. It prints one JSON line in the same shape as
 * braid-local's `decode_bench` example, so the two figures are computed the same way:
 *   {"decode_tok_s": f64, "prompt_tok_s": f64, "tokens": n}
 * decode_tok_s counts every generated token over the wall time of the generation loop (sampling plus one
 * llama_decode per token); prompt_tok_s is the prompt's tokens over the time of its single llama_decode.
 * End-of-generation tokens do not stop the loop, so both sides always time exactly --tokens tokens. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "llama.h"

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int usage(const char *why) {
    fprintf(stderr, "braid-native-decode: %s\n", why);
    fprintf(stderr, "usage: braid-native-decode --model PATH.gguf --prompt TEXT [--tokens N] [--threads N]\n");
    return 2;
}

/* Quietens llama.cpp's loading chatter: only errors reach stderr, so the JSON line stands alone. */
static void log_errors_only(enum ggml_log_level level, const char *text, void *user_data) {
    (void)user_data;
    if (level == GGML_LOG_LEVEL_ERROR) {
        fputs(text, stderr);
    }
}

int main(int argc, char **argv) {
    const char *model_path = NULL;
    const char *prompt = NULL;
    int n_generate = 128;
    int n_threads = 2;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (i + 1 >= argc) {
            return usage("every option takes a value");
        }
        const char *value = argv[++i];
        if (strcmp(arg, "--model") == 0) {
            model_path = value;
        } else if (strcmp(arg, "--prompt") == 0) {
            prompt = value;
        } else if (strcmp(arg, "--tokens") == 0) {
            n_generate = atoi(value);
        } else if (strcmp(arg, "--threads") == 0) {
            n_threads = atoi(value);
        } else {
            return usage("unknown option");
        }
    }
    if (model_path == NULL || prompt == NULL) {
        return usage("--model and --prompt are required");
    }
    if (n_generate <= 0 || n_threads <= 0) {
        return usage("--tokens and --threads must be positive integers");
    }

    llama_log_set(log_errors_only, NULL);
    llama_backend_init();

    struct llama_model_params model_params = llama_model_default_params();
    model_params.n_gpu_layers = 0;
    struct llama_model *model = llama_model_load_from_file(model_path, model_params);
    if (model == NULL) {
        fprintf(stderr, "braid-native-decode: cannot load the model %s\n", model_path);
        return 1;
    }
    const struct llama_vocab *vocab = llama_model_get_vocab(model);

    /* Ask for the size first (a negative count), then tokenize into a buffer of exactly that size. */
    int prompt_len = (int)strlen(prompt);
    int n_prompt = -llama_tokenize(vocab, prompt, prompt_len, NULL, 0, true, true);
    if (n_prompt <= 0) {
        fprintf(stderr, "braid-native-decode: the prompt tokenizes to nothing\n");
        return 1;
    }
    llama_token *tokens = malloc(sizeof(llama_token) * (size_t)n_prompt);
    if (tokens == NULL || llama_tokenize(vocab, prompt, prompt_len, tokens, n_prompt, true, true) != n_prompt) {
        fprintf(stderr, "braid-native-decode: cannot tokenize the prompt\n");
        return 1;
    }

    struct llama_context_params ctx_params = llama_context_default_params();
    ctx_params.n_ctx = (uint32_t)(n_prompt + n_generate + 16);
    ctx_params.n_batch = (uint32_t)n_prompt;
    ctx_params.n_threads = n_threads;
    ctx_params.n_threads_batch = n_threads;
    struct llama_context *ctx = llama_init_from_model(model, ctx_params);
    if (ctx == NULL) {
        fprintf(stderr, "braid-native-decode: cannot create a context of %u tokens\n", ctx_params.n_ctx);
        return 1;
    }

    struct llama_sampler *sampler = llama_sampler_chain_init(llama_sampler_chain_default_params());
    llama_sampler_chain_add(sampler, llama_sampler_init_greedy());

    double prompt_start = now_seconds();
    if (llama_decode(ctx, llama_batch_get_one(tokens, n_prompt)) != 0) {
        fprintf(stderr, "braid-native-decode: decoding the prompt failed\n");
        return 1;
    }
    double prompt_seconds = now_seconds() - prompt_start;

    double gen_start = now_seconds();
    for (int i = 0; i < n_generate; i++) {
        llama_token next = llama_sampler_sample(sampler, ctx, -1);
        if (llama_decode(ctx, llama_batch_get_one(&next, 1)) != 0) {
            fprintf(stderr, "braid-native-decode: decoding token %d failed\n", i);
            return 1;
        }
    }
    double gen_seconds = now_seconds() - gen_start;

    printf("{\"decode_tok_s\": %.3f, \"prompt_tok_s\": %.3f, \"tokens\": %d}\n",
           (double)n_generate / gen_seconds, (double)n_prompt / prompt_seconds, n_generate);

    llama_sampler_free(sampler);
    llama_free(ctx);
    llama_model_free(model);
    llama_backend_free();
    free(tokens);
    return 0;
}
